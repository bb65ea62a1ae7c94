import type { CostGroups, Dimension } from "./cost-groups.js";

const NUMBER_COLUMNS = ["calls", "cached", "input tokens", "output tokens", "cost"] as const;

/** The report as aligned text columns: the group columns left-aligned, the numbers right-aligned, then a total. */
export function formatCostTable(groups: CostGroups, by: readonly Dimension[]): string[] {
  const numbers = (t: CostGroups["total"]) => [
    String(t.calls),
    String(t.cached),
    String(t.input_tokens),
    String(t.output_tokens),
    t.cost.toFixed(6),
  ];
  const header = [...by, ...NUMBER_COLUMNS];
  const body = groups.rows.map((row) => [...by.map((dimension) => row[dimension] ?? ""), ...numbers(row)]);
  const total = ["total", ...by.slice(1).map(() => ""), ...numbers(groups.total)];
  const table = [header, ...body, total];
  const widths = header.map((_, column) => Math.max(...table.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column < by.length ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(header), rule, ...body.map(line), rule, line(total)];
}

import type { ActionKind, ChunkAction } from "./chunk.js";
import type { Fiche, OnlineService } from "./fiche.js";

const SERVICE_LINE = /^Service en ligne : (.+)$/;
const OFFICE_LINE = /^Où s'adresser : (.+)$/;
const LIST_LINE = /^- (.+?)(?: \(cerfa n°[^)]*\))?$/;

export function actionKind(service: OnlineService): ActionKind {
  if (/formulaire/i.test(service.type)) return "form";
  if (/simul|calcul/i.test(service.type)) return "simulator";
  if (/lettre|mod[eè]le/i.test(service.type)) return "letter_template";
  return "online_service";
}

/**
 * The links a chunk's text points to: its "Service en ligne : …" and "Où s'adresser : …" lines, and every line of
 * the fiche's "Services en ligne" and "Où s'adresser ?" sections, each resolved to the fiche's service or office
 * of that title. Only those with a page are kept.
 */
export function chunkActions(fiche: Fiche, path: string[], text: string): ChunkAction[] {
  const section = path[0];
  const actions: ChunkAction[] = [];
  const add = (action: ChunkAction | undefined) => {
    if (action?.url && !actions.some((a) => a.url === action.url && a.title === action.title)) actions.push(action);
  };
  const service = (title: string) => {
    const found = fiche.services.find((s) => s.title === title);
    return found ? { title: found.title, url: found.url, kind: actionKind(found) } : undefined;
  };
  const office = (title: string) => {
    const found = fiche.offices.find((o) => o.title === title);
    return found ? { title: found.title, url: found.url, kind: "office" as const } : undefined;
  };
  for (const line of text.split("\n")) {
    const listed = LIST_LINE.exec(line)?.[1];
    if (section === "Services en ligne" && listed) add(service(listed));
    else if (section === "Où s'adresser ?" && listed) add(office(listed));
    const serviceTitle = SERVICE_LINE.exec(line)?.[1];
    if (serviceTitle) add(service(serviceTitle));
    const officeTitle = OFFICE_LINE.exec(line)?.[1];
    if (officeTitle) add(office(officeTitle));
  }
  return actions;
}

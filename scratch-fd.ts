import { buildBilingual } from "./tools/lang/freedict.js";
const t0 = performance.now();
const b = buildBilingual(() => true);
console.log(((performance.now() - t0) / 1000).toFixed(1), "s", Object.fromEntries(Object.entries(b).map(([l, t]) => [l, Object.keys(t!).length])));
console.log(b.en?.["passport"], b.es?.["pasaporte"], b.de?.["reisepass"], b.it?.["passaporto"], b.pt?.["passaporte"], b.ar?.["جواز"], b.es?.["perdido"], b.de?.["krankenversicherung"]);

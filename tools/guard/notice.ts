import type { PiiType } from "./pii.js";

const LABELS: Record<PiiType, string> = {
  NIR: "numéro de sécurité sociale",
  IBAN: "IBAN",
  CARTE_BANCAIRE: "numéro de carte bancaire",
  EMAIL: "adresse e-mail",
  TELEPHONE: "numéro de téléphone",
  PASSEPORT: "numéro de passeport",
};

/** The sentence added to an answer when personal data was removed from the question ("" when none was). */
export function redactionNotice(types: readonly PiiType[]): string {
  if (types.length === 0) return "";
  const list = types.map((t) => LABELS[t]).join(", ");
  return (
    `\n\nPour protéger vos données, nous avons retiré de votre question : ${list}. ` +
    "Ne communiquez jamais ces informations ici : elles ne sont pas nécessaires pour vous répondre."
  );
}

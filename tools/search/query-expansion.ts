import { analyze, foldAccents } from "./analyzer.js";

/**
 * Everyday words citizens use, mapped to the words the fiches use ("adulte" → "majeur").
 * Keys are matched on the accent-folded, lower-case question, as whole words or phrases.
 */
const CITIZEN_TO_OFFICIAL: Record<string, string> = {
  adulte: "majeur",
  adultes: "majeur",
  enfant: "mineur",
  enfants: "mineur",
  fils: "enfant mineur",
  fille: "enfant mineur",
  gamin: "enfant mineur",
  gosse: "enfant mineur",
  ado: "mineur",
  adolescent: "mineur",
  bebe: "naissance enfant",
  prix: "coût tarif montant",
  coute: "coût tarif prix",
  cout: "tarif prix montant",
  tarif: "coût prix",
  combien: "coût montant",
  paye: "montant",
  perdu: "perte",
  paume: "perte",
  egare: "perte",
  vole: "vol",
  volee: "vol",
  cambriole: "vol cambriolage",
  decede: "décès",
  decedee: "décès",
  mort: "décès",
  morte: "décès",
  meurt: "décès",
  enterrement: "obsèques funérailles",
  heritage: "succession",
  heriter: "succession héritier",
  mari: "conjoint époux",
  femme: "conjointe épouse",
  copain: "concubin partenaire",
  copine: "concubin partenaire",
  papiers: "identité titre",
  "carte grise": "certificat immatriculation",
  proprio: "propriétaire bailleur",
  appart: "logement appartement",
  appartement: "logement",
  maison: "logement",
  loue: "location locataire",
  louer: "location",
  vire: "licenciement",
  virer: "licenciement",
  renvoye: "licenciement",
  boulot: "travail emploi",
  taf: "travail emploi",
  job: "travail emploi",
  patron: "employeur",
  chef: "employeur",
  alloc: "allocation",
  caf: "allocations familiales",
  apl: "aide personnalisée logement",
  secu: "sécurité sociale assurance maladie",
  mutuelle: "complémentaire santé",
  docteur: "médecin",
  toubib: "médecin",
  hosto: "hôpital",
  impots: "impôt",
  pv: "contravention amende",
  flashe: "excès vitesse radar",
  divorcer: "divorce",
  marier: "mariage",
  pacser: "pacs",
  demenage: "déménagement adresse",
  demenager: "déménagement adresse",
  "titre de sejour": "carte séjour",
  "sans papiers": "étranger séjour irrégulier",
  francais: "nationalité française",
  naturalise: "naturalisation nationalité",
  vieux: "âgée",
  "maison de retraite": "ehpad hébergement",
  handicape: "handicap",
  chomeur: "chômage demandeur emploi",
  "pole emploi": "demandeur emploi",
  bourse: "bourse",
  fac: "université étudiant",
  etudiant: "étudiant",
  voiture: "véhicule",
  bagnole: "véhicule voiture",
  moto: "véhicule motocyclette",
  accident: "sinistre",
  avocat: "avocat aide juridictionnelle",
  proces: "procès tribunal",
  plainte: "plainte",
  arnaque: "escroquerie",
  arnaquer: "escroquerie",
  voisin: "voisinage",
  bruit: "nuisances sonores",
  poubelle: "déchets",
  chien: "animal",
  chat: "animal",
  elections: "vote",
  voter: "vote électeur",
  enceinte: "grossesse maternité",
  grossesse: "maternité",
  accoucher: "naissance accouchement",
  nounou: "assistante maternelle",
  creche: "garde enfant",
  retraite: "retraite pension",
  dette: "surendettement",
  dettes: "surendettement",
  rib: "compte bancaire",
  banque: "compte bancaire",
  passport: "passeport",
};

const PATTERNS = Object.entries(CITIZEN_TO_OFFICIAL).map(([key, value]) => ({
  pattern: new RegExp(`(?:^|[^\\p{L}\\p{N}])${key.replace(/ /g, "\\s+")}(?=$|[^\\p{L}\\p{N}])`, "u"),
  terms: analyze(value),
}));

/** Weight of an added term relative to a term the user wrote. */
export const EXPANSION_WEIGHT = 0.5;

/** Query terms with weights: the question's own terms (1 each occurrence), plus official synonyms. */
export function expandQuery(question: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const term of analyze(question)) weights.set(term, (weights.get(term) ?? 0) + 1);
  const folded = foldAccents(question.toLowerCase()).replace(/['’]/g, " ");
  for (const { pattern, terms } of PATTERNS) {
    if (!pattern.test(folded)) continue;
    for (const term of terms) if (!weights.has(term)) weights.set(term, EXPANSION_WEIGHT);
  }
  return weights;
}

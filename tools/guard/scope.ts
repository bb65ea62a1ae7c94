/**
 * Questions outside French public-service procedures: general knowledge, code, medical diagnosis, foreign law.
 * Offline these are rules over the folded question; the answer node also declines when retrieval finds nothing
 * close enough, which catches the rest. Every rule has an exception for the administrative side of the topic
 * (a sick-leave form is in scope, a diagnosis is not).
 */

export type OutOfScopeKind = "code" | "medical" | "foreign_law" | "general_knowledge";

interface Rule {
  kind: OutOfScopeKind;
  pattern: RegExp;
  /** When this also matches, the question is about a French procedure after all. */
  unless?: RegExp;
}

const COUNTRIES =
  "(?:etats-unis|usa|amerique|californie|california|texas|floride|florida|new york|canada|quebec|ontario|royaume-uni|angleterre|uk|england|espagne|espana|spain|allemagne|alemania|germany|deutschland|italie|italia|italy|belgique|belgium|suisse|switzerland|maroc|marruecos|morocco|algerie|tunisie|chine|china|japon|japan|bresil|brasil|peru|mexique|mexico|portugal|russie|russia)";
const TOPICS =
  "(?:divorc\\w*|loi|lois|law|laws|ley|leyes|gesetz|legge|permis|licen[cs]e|licencia|impots?|taxes?|impuestos|retraite|jubilacion|pension|rente|mariage|marry|casarse|green card|visa|nationalite|citizenship|ciudadania|droit du travail|labou?r law|salaire minimum|minimum wage)";

const RULES: Rule[] = [
  {
    kind: "code",
    pattern:
      /(?:(?:ecri[rst]|code|genere|write|escribe|schreib)\w*[\s-]+(?:moi\s+|me\s+)?(?:un|une|a|an|el|un)?\s*(?:script|programme|fonction|function|code|classe|class|requete sql|sql query|regex|algorithme|algorithm|programa|funcion)\b.*(?:python|javascript|java|c\+\+|typescript|sql|bash|php|rust|go\b|html|css)?|(?:en|in) (?:python|javascript|typescript|c\+\+|java|php|rust|bash)\b|\b(?:def|function|console\.log|import|select \*|#include)\b.*[({;]|stack ?overflow|debug(?:ge|uer)? (?:mon|my) (?:code|programme))/u,
  },
  {
    kind: "medical",
    pattern:
      /(?:(?:est-ce que j'ai|ai-je|j'ai peut-etre|do i have|tengo)\s+(?:un |une |le |la |a |an )?(?:cancer|diabete|diabetes|covid|grippe|angine|infection|tumeur|tumor|appendicite|avc|depression)|(?:diagnostic|diagnose|diagnosis|diagnostico)\b(?!.*(?:immobilier|performance|energetique|dpe|amiante|plomb|termites|gaz|electricite|assainissement))|quel (?:medicament|traitement|antibiotique) (?:prendre|dois-je)|what (?:medicine|medication|drug) should i take|(?:mes|my|mis) (?:symptomes|symptoms|sintomas)\b(?!.*(?:arret|conge|invalidite|remboursement|prise en charge|mdph|aah))|combien de (?:doliprane|paracetamol|ibuprofene)|posologie|dosage of)/u,
  },
  {
    kind: "foreign_law",
    pattern: new RegExp(
      `(?:${TOPICS}\\b.{0,60}\\b(?:en|in|au|aux|a|del|de|im|in der)\\s+(?:la |le |l')?${COUNTRIES}\\b|\\b(?:en|in|au|aux)\\s+${COUNTRIES}\\b.{0,60}\\b${TOPICS}\\b|(?:loi|droit|legislation|law|ley|recht|legge)s?\\s+(?:\\w+\\s+){0,2}(?:americain\\w*|us|britannique\\w*|allemand\\w*|espagnol\\w*|italien\\w*|belge\\w*|suisse\\w*|canadien\\w*|marocain\\w*|algerien\\w*|chinois\\w*|japonais\\w*|american|british|german|spanish|espanola?)\\b|green card)`,
      "u",
    ),
    unless:
      /(?:en france|in france|francais\w*|french|france|cfe|caisse des francais|consulat|ambassade|expatri|frontalier|convention fiscale|titre de sejour|visa pour la france|nationalite francaise|carte de resident|residant|resident en|je vis|j'habite|je suis installe|i live|vivo en|mon (?:mari|epouse|conjoint|ami|fils|pere|mere)|ma (?:femme|fille|mere)|retraite francaise|en france)/u,
  },
  {
    kind: "general_knowledge",
    pattern:
      /(?:capitale (?:de|du|des) |capital of |(?:cual es|quelle est|what is) la capital |quelle est la hauteur|who (?:won|wrote|painted|invented)|qui a (?:gagne|ecrit|peint|invente)|resultat du match|football score|meteo (?:de|a|demain)|weather (?:in|tomorrow)|blague|joke|chiste|poeme sur|poem about|poema sobre|horoscope|cours de (?:la )?bourse|bitcoin|crypto(?:monnaie)?s?\b(?!.*(?:impot|declar|fiscal|plus-value|tax))|traduis(?:-moi)? (?:ce|cette|en)|translate (?:this|to)|resume(?:-moi)? (?:ce|le) (?:livre|film)|distance (?:entre|between) la terre|combien de (?:calories|km entre)|ecris(?:-moi)? (?:une histoire|une chanson|un poeme|une lettre d'amour)|write (?:me )?(?:a story|a song|a poem))/u,
  },
];

/** The kind of out-of-scope question, or null when the question may be about a French procedure. */
export function detectOutOfScope(views: string[]): OutOfScopeKind | null {
  for (const rule of RULES) {
    if (views.some((view) => rule.pattern.test(view) && !rule.unless?.test(view))) return rule.kind;
  }
  return null;
}

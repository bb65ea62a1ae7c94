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
}

const RULES: Rule[] = [
  {
    kind: "code",
    pattern:
      /(?:(?:ecri[rst]|code|genere|write|escribe|schreib)\w*\s+(?:moi\s+|me\s+)?(?:un|une|a|an|el|un)?\s*(?:script|programme|fonction|function|code|classe|class|requete sql|sql query|regex|algorithme|algorithm|programa|funcion)\b.*(?:python|javascript|java|c\+\+|typescript|sql|bash|php|rust|go\b|html|css)?|(?:en|in) (?:python|javascript|typescript|c\+\+|java|php|rust|bash)\b|\b(?:def|function|console\.log|import|select \*|#include)\b.*[({;]|stack ?overflow|debug(?:ge|uer)? (?:mon|my) (?:code|programme))/u,
  },
  {
    kind: "medical",
    pattern:
      /(?:(?:est-ce que j'ai|ai-je|j'ai peut-etre|do i have|tengo)\s+(?:un |une |le |la |a |an )?(?:cancer|diabete|diabetes|covid|grippe|angine|infection|tumeur|tumor|appendicite|avc|depression)|(?:diagnostic|diagnose|diagnosis|diagnostico)\b(?!.*(?:immobilier|performance|energetique|dpe|amiante|plomb|termites|gaz|electricite|assainissement))|quel (?:medicament|traitement|antibiotique) (?:prendre|dois-je)|what (?:medicine|medication|drug) should i take|(?:mes|my|mis) (?:symptomes|symptoms|sintomas)\b(?!.*(?:arret|conge|invalidite|remboursement|prise en charge|mdph|aah))|combien de (?:doliprane|paracetamol|ibuprofene)|posologie|dosage of)/u,
  },
  {
    kind: "foreign_law",
    pattern:
      /(?:(?:loi|droit|legislation|law|ley|recht|legge)s?\s+(?:\w+\s+){0,2}(?:americain|americaine|americaines|us|usa|britannique|uk|allemand|allemande|espagnol|espagnole|italien|italienne|belge|suisse|canadien|canadienne|quebecois|marocain|marocaine|algerien|algerienne|chinois|chinoise|japonais|japonaise|of (?:the )?(?:us|usa|uk|germany|spain|italy|california|texas|new york))|(?:aux|in the) (?:etats-unis|usa|us)\b.*(?:loi|law|permis|licence|license|divorce|visa|green card|impot|tax)|green card|(?:en|in) (?:californie|california|texas|floride|florida|ontario|bavaria)\b|(?:espagne|allemagne|italie|belgique|suisse|royaume-uni|canada|quebec|maroc|algerie|tunisie|spain|germany|italy|belgium|switzerland|uk)\b.*(?:divorcer|divorce|loi|law|permis|impot|tax|retraite|pension)\b(?!.*(?:france|francais|french|cfe|caisse des francais|residant|resident|expatri|pension francaise|convention fiscale)))/u,
  },
  {
    kind: "general_knowledge",
    pattern:
      /(?:capitale (?:de|du|des) |capital of |quelle est la hauteur|who (?:won|wrote|painted|invented)|qui a (?:gagne|ecrit|peint|invente)|resultat du match|football score|meteo (?:de|a|demain)|weather (?:in|tomorrow)|blague|joke|chiste|poeme sur|poem about|poema sobre|horoscope|cours de (?:la )?bourse|bitcoin|crypto(?:monnaie)?s?\b(?!.*(?:impot|declar|fiscal|plus-value|tax))|traduis(?:-moi)? (?:ce|cette|en)|translate (?:this|to)|resume(?:-moi)? (?:ce|le) (?:livre|film)|distance (?:entre|between) la terre|combien de (?:calories|km entre)|ecris(?:-moi)? (?:une histoire|une chanson|un poeme|une lettre d'amour)|write (?:me )?(?:a story|a song|a poem))/u,
  },
];

/** The kind of out-of-scope question, or null when the question may be about a French procedure. */
export function detectOutOfScope(views: string[]): OutOfScopeKind | null {
  for (const rule of RULES) if (views.some((view) => rule.pattern.test(view))) return rule.kind;
  return null;
}

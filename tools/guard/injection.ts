/**
 * Prompt-injection and jailbreak detection: weighted rules over the normalised views of a question.
 *
 * The model is a sum of the weights of the features that fire (each counted once); the question is blocked when
 * the sum reaches THRESHOLD, chosen on the dev split of evals/datasets/guard-dev.jsonl. Strong features (a fake
 * chat-template token, "ignore your previous instructions") block alone; weak ones (a persona, a "from now on")
 * only together. Negative features stand for the contexts of legitimate questions that share the words
 * (someone who *received* a forged letter, asks what forging risks).
 */
import type { NormalizedText } from "./normalize.js";

export type Technique =
  | "instruction_override"
  | "prompt_extraction"
  | "role_play"
  | "chat_template"
  | "hidden_instruction"
  | "forgery"
  | "data_exfiltration";

export interface Feature {
  id: string;
  technique: Technique | null;
  weight: number;
  pattern: RegExp;
}

export interface InjectionVerdict {
  score: number;
  blocked: boolean;
  /** Technique of the heaviest feature that fired, when blocked. */
  technique: Technique | null;
  /** Ids of the features that fired: the explanation of the score. */
  features: string[];
}

/** Tuned on the dev split only (see evals/run-guard-eval.ts). */
export const THRESHOLD = 1;

const W = "[\\w'-]*"; // rest of a word
const GAP = "(?:[\\s,;:]+[\\w'-]+){0,5}[\\s,;:]+"; // up to five words between two parts

const IGNORE_VERBS = `(?:ignor${W}|oubli${W}|disregard${W}|forget${W}|olvid${W}|vergiss${W}|ignorier${W}|dimentica${W}|esquec${W}|omet${W}|skip|bypass${W}|contourn${W}|passe outre|fais abstraction|ne tiens? (?:pas|plus) compte|override|overrid${W}|annule${W}|efface${W}|supprime${W}|desactive${W}|disable)`;
const RULE_NOUNS = `(?:instructions?|consignes?|regles?|directives?|prompt|rules|guidelines|instrucciones|reglas|normas|anweisungen|regeln|istruzioni|regole|instrucoes|regras|restrictions?|restricciones|filtres?|filters?|garde-fous|guardrails|limitations?|programmation|programming|contraintes?)`;
const PRIOR = `(?:precedent${W}|anterieur${W}|ci-dessus|initial${W}|previous|prior|above|earlier|anteriores|previas|vorherigen|obigen|precedenti|systeme|system|de base|d'origine|original${W}|tes|vos|your|tus|sus|deine|tue)`;
const SHOW_VERBS = `(?:montre${W}|affiche${W}|revele${W}|donne${W}|repete${W}|recite${W}|imprime${W}|ecri${W}|copie${W}|dis-moi|dites-moi|print|show|reveal|repeat|display|output|tell me|write out|leak|dump|muestra${W}|revela${W}|dime|repite${W}|imprime|zeig${W}|gib|wiederhole${W}|mostra${W}|rivela${W}|ripeti${W}|mostre|revele)`;
const PROMPT_NOUNS = `(?:prompt(?: systeme| system| initial)?|system prompt|message systeme|instructions? (?:systeme|initiales?|cachees?|secretes?|internes?)|consignes? (?:initiales?|cachees?|secretes?|internes?)|(?:tes|vos) (?:instructions|consignes|regles)|your (?:instructions|rules|system message|initial prompt|guidelines)|hidden (?:instructions|prompt)|configuration interne|texte (?:ci-dessus|au-dessus|qui precede)|(?:everything|text) above|mensaje del sistema|instrucciones (?:iniciales|del sistema|ocultas)|tus instrucciones|systemanweisung${W}|deine anweisungen|istruzioni (?:di sistema|iniziali)|le tue istruzioni|suas instrucoes)`;
const FORGE_TERMS = `(?:faux|fausse|falsifi${W}|contrefa${W}|bidon|fictif${W}|fictiv${W}|truque${W}|forge${W}|fake|counterfeit|forged|falso|falsa|falsificad${W}|falsificar|gefalscht${W}|falsch${W}|contraffatt${W}|sans que (?:ca|cela) se (?:voie|remarque)|qui (?:a l'air|semble|passe pour) (?:vrai|authentique|officiel)${W}|looks? (?:real|official|authentic)|que parezca (?:real|oficial|autentic${W}))`;
const DOC_NOUNS = `(?:attestation${W}|certificat${W}|carte (?:d'identite|vitale|grise|de sejour)|(?:residence|work) permit|visa|titre${W}|cni|passeport${W}|permis|fiche de paie|bulletins? de (?:salaire|paie)|avis d'(?:imposition|impot)|justificatif${W}|diplome${W}|ordonnance${W}|acte de (?:naissance|mariage|deces)|documents? officiel${W}|titre de sejour|tampon|cachet|signature|quittance${W}|contrat${W}|releve${W}|id card|identity card|passport|driver'?s licen[cs]e|payslip|pay stub|certificate|document|pasaporte|dni|nie|certificado|nomina|titulo|ausweis|bescheinigung|zeugnis|documento|carta d'identita|certidao)`;
const MAKE_VERBS = `(?:fais${W}|faites${W}|fabrique${W}|genere${W}|cree${W}|creer|redige${W}|ecri${W}|produi${W}|imite${W}|modifie${W}|change${W}|donne-moi|envoie-moi|make|generate|create|write|produce|draft|forge|fake|edit|hazme|haz|genera${W}|crea${W}|redacta${W}|falsifica${W}|erstelle${W}|fälsche|falsche|crea|scrivi|fammi|gera${W}|faca)`;
const OTHERS = `(?:autres? (?:usagers?|utilisateurs?|personnes?|citoyens?|clients?|demandeurs?)|d'autres (?:gens|personnes)|other (?:users?|people|citizens|customers)|another (?:user|person|citizen)|otros? (?:usuarios?|ciudadanos?|personas?)|andere[rn]? (?:nutzer${W}|benutzer${W}|personen)|altri utenti|outros usuarios|(?:mon|ma|du|de la|d'un|d'une) (?:voisin${W}|collegue|patron|ex)|de (?:m\\.|mme|monsieur|madame) [a-z]+|tous les (?:usagers|utilisateurs|allocataires|dossiers)|all users|todos los usuarios)`;
const DATA_NOUNS = `(?:donnees|dossiers?|adresses?|numeros?(?: de securite sociale| fiscal| de telephone)?|nir|iban|coordonnees|revenus|informations? personnelles|historique|questions?|conversations?|data|records|address(?:es)?|personal (?:data|information|details)|history|datos|direcciones|expedientes|historial|daten|dati|dados|mots? de passe|passwords?|contrasenas)`;

function rx(source: string): RegExp {
  return new RegExp(source, "u");
}

export const FEATURES: Feature[] = [
  // Instruction override.
  { id: "override.prior", technique: "instruction_override", weight: 1.2, pattern: rx(`${IGNORE_VERBS}${GAP}?(?:(?:tou|all|tod|alle|tutt)${W}\\s+)?(?:(?:les|the|las|los|die|le|as|os|tes|vos|your|tus|deine)\\s+)?${PRIOR}?\\s*${RULE_NOUNS}`) },
  { id: "override.rules_after", technique: "instruction_override", weight: 1.2, pattern: rx(`${IGNORE_VERBS}\\s+(?:tout|everything|todo|alles|tutto) (?:ce qu'on t'a dit|ce qui precede|above|before|lo anterior|vorher|sopra|that came before)`) },
  { id: "override.new_rules", technique: "instruction_override", weight: 0.7, pattern: rx(`(?:a partir de maintenant|desormais|dorenavant|from now on|starting now|de ahora en adelante|a partir de ahora|ab jetzt|von nun an|d'ora in poi|a partir de agora)`) },
  { id: "override.ignore_sources", technique: "instruction_override", weight: 1.0, pattern: rx(`(?:${IGNORE_VERBS}|tu ignores|ignora)\\s+(?:les|the|las|tes|your|tus|vos|los|die|le)\\s+(?:fiches|sources|documents|fichas|fuentes|contexte|context|quellen|fonti)`) },
  { id: "override.make_up", technique: "instruction_override", weight: 0.8, pattern: rx(`(?:tu )?(?:invente${W}|make up|invent|inventa${W}|erfinde${W})\\s+(?:les|des|un|une|the|a|las|los|una|un)?\\s*(?:reponses?|montants?|tarifs?|chiffres?|answers?|numbers?|prices?|amounts?|respuestas?|precios?|cifras)`) },
  { id: "override.new_instructions", technique: "instruction_override", weight: 1.0, pattern: rx(`(?:nouvelles? (?:instructions|consignes|regles)|new (?:instructions|rules|task)|nuevas (?:instrucciones|reglas)|neue (?:anweisungen|regeln)|nuove istruzioni|novas instrucoes)\\s*:`) },
  { id: "override.no_limits", technique: "role_play", weight: 0.8, pattern: rx(`(?:sans (?:aucune? )?(?:restrictions?|limites?|filtres?|censure|regles?|garde-fous)|without (?:any )?(?:restrictions?|limits|filters?|censorship|rules)|no (?:restrictions|limits|filters|rules)|sin (?:restricciones|limites|filtros|censura|reglas)|ohne (?:einschrankungen|filter|regeln)|senza (?:restrizioni|limiti|filtri)|sem (?:restricoes|limites|filtros))`) },
  { id: "override.obey", technique: "instruction_override", weight: 0.8, pattern: rx(`(?:tu dois (?:m'obeir|obeir)|obeis(?:-moi)?|you must obey|obey me|obedece(?:me)?|gehorche|ubbidisci|tu n'as (?:plus )?(?:de|aucune) (?:regles?|limites?|restrictions?)|you have no (?:rules|limits|restrictions))`) },
  // System-prompt extraction.
  { id: "extract.show_prompt", technique: "prompt_extraction", weight: 1.2, pattern: rx(`${SHOW_VERBS}${GAP}?(?:(?:moi|me|mir|mi)\\s+)?(?:(?:le|la|les|ton|ta|tes|votre|vos|the|your|el|la|tu|tus|deine|dein|il|le tue|o|as|seu|suas)\\s+)?${PROMPT_NOUNS}`) },
  { id: "extract.prompt_word", technique: "prompt_extraction", weight: 1.0, pattern: rx(`(?:system prompt|prompt (?:systeme|system|initial|cache)|(?:ton|votre|your|tu|dein) prompt|prompt del sistema|systemprompt|prompt di sistema|meta-?prompt)`) },
  { id: "extract.verbatim", technique: "prompt_extraction", weight: 0.7, pattern: rx(`(?:mot pour mot|verbatim|word for word|palabra por palabra|wortwortlich|parola per parola|textuellement|sans rien omettre|from the (?:very )?(?:beginning|start) of (?:the|this|your) (?:conversation|context|prompt))`) },
  { id: "extract.what_instructions", technique: "prompt_extraction", weight: 1.0, pattern: rx(`(?:quelles? (?:sont|etaient) (?:tes|vos) (?:instructions|consignes|regles)|what (?:are|were) your (?:instructions|rules|guidelines)|cuales son tus (?:instrucciones|reglas)|welche anweisungen hast du|quali sono le tue istruzioni|comment (?:es-tu|as-tu ete) (?:configure|programme)|how (?:are|were) you (?:configured|programmed|prompted)|mot de passe (?:secret|cache)|canary|secret (?:word|key|token))`) },
  // Role-play personas.
  { id: "persona.dan", technique: "role_play", weight: 1.2, pattern: rx(`(?:\\bdan\\b|do anything now|jailbreak${W}|mode (?:developpeur|dev|debug|admin|dieu|sans filtre)|developer mode|dev mode|god mode|modo (?:desarrollador|dios|sin filtro)|entwicklermodus|modalita sviluppatore|evil (?:bot|ai|assistant)|stan\\b|aim\\b.*machiavel|unfiltered|non censure|uncensored|sin censura)`) },
  { id: "persona.you_are_now", technique: "role_play", weight: 0.9, pattern: rx(`(?:tu es (?:maintenant|desormais|a present)|tu n'es plus|vous etes (?:maintenant|desormais)|you are now|you're now|you are no longer|ahora eres|ya no eres|du bist (?:jetzt|nun)|sei ora|ora sei|agora voce e|agora es)`) },
  { id: "persona.pretend", technique: "role_play", weight: 0.8, pattern: rx(`(?:fais semblant|faites semblant|pretend(?:s)? (?:to be|you|that)|imagine (?:que tu es|que vous etes|you are|you're)|imagina que eres|joue (?:le role|un role)|jouons|roleplay|role-?play|act as|agis comme|agissez comme|comporte-toi comme|incarne${W}|actua como|finge (?:ser|que)|spiel (?:die rolle|einen)|fai finta|interpreta il ruolo|finja ser|simule (?:un|une|le|la))`) },
  { id: "persona.grandma", technique: "role_play", weight: 1.0, pattern: rx(`(?:(?:grand-mere|grandma|grandmother|abuela|oma|nonna|mamie)${GAP}(?:lisait|racontait|disait|used to|read|contaba|leia|erzahlte|raccontava|me (?:lisait|racontait)))`) },
  { id: "persona.harmful_goal", technique: "role_play", weight: 0.5, pattern: rx(`(?:falsifi${W}|falsify\\w*|falsific${W}|corrompu${W}|corrupt${W}|corrupto|sans scrupules?|sans ethique|unethical|sin etica|sin escrupulos|skrupellos|frauder|fraud(?:er|ing)? |evader|echapper aux (?:controles|impots)|evade taxes|evadir|cacher mes revenus|hide my income|sans y avoir droit|skip the|saltar(?:me)? el|pirater|hack(?:er|ing)?|entrer dans (?:franceconnect|le compte)|access someone)`) },
  { id: "persona.character", technique: "role_play", weight: 0.5, pattern: rx(`(?:personnage|character|personaje|persona|rolle|ruolo)\\s+(?:nomme|appele|named|called|llamado|namens|chiamato)`) },
  // Fake chat-template tokens.
  { id: "template.tokens", technique: "chat_template", weight: 1.5, pattern: rx(`(?:<\\|?\\s*(?:im_start|im_end|system|assistant|user|endoftext|begin_of_text|start_header_id|end_header_id|eot_id)\\s*\\|?>|\\[/?inst\\]|<</?sys>>|<s>|</s>|\\[/?(?:system|sys)\\]|\\{\\{\\s*system)`) },
  { id: "template.headers", technique: "chat_template", weight: 1.2, pattern: rx(`(?:^|\\s|\\n)(?:#{2,}\\s*(?:system|systeme|instruction|instructions|assistant|user|response|nouvelles? instructions|sistema)\\b|(?:system|systeme|sistema|assistant|developer)\\s*:\\s*(?:tu|you|vous|eres|du|ignore|oublie|nouvelle|new|reveal|from|a partir))`) },
  { id: "template.json_role", technique: "chat_template", weight: 1.2, pattern: rx(`["']role["']\\s*:\\s*["'](?:system|developer|assistant)["']`) },
  // Instructions hidden after (or inside) a question, addressed to the model.
  { id: "hidden.addressed_to_ai", technique: "hidden_instruction", weight: 1.0, pattern: rx(`(?:note (?:a|pour) (?:l'ia|l'assistant|le modele|le bot|chatgpt)|(?:message|instruction|consigne)s? (?:a|pour) (?:l'ia|l'assistant|le modele|le bot|toi l'ia)|note to (?:the )?(?:ai|assistant|model|llm|bot)|instructions? (?:for|to) (?:the )?(?:ai|assistant|model|llm)|nota (?:para|a) (?:la ia|el asistente|el modelo)|hinweis an die ki|nota per (?:l'ia|l'assistente)|(?:^|[\\s.?!])(?:ia|ai|llm|assistant|assistente|asistente|bot|gpt|chatgpt|ki)\\s*[:,]\\s*(?:ignore|oublie|reponds|ecris|ajoute|answer|write|add|say|dis|responde|escribe|ignora|antworte|rispondi))`) },
  { id: "hidden.then_do", technique: "hidden_instruction", weight: 0.6, pattern: rx(`(?:ensuite|puis|apres (?:ca|cela|ta reponse)|et aussi|then|after that|also|afterwards|luego|despues|dann|danach|poi|depois|p\\.?s\\.?)[\\s,:]+(?:ignore|oublie|reponds|ecris|ajoute|insere|inclus|termine|affiche|revele|answer|write|add|insert|include|append|end|reveal|print|say|responde|escribe|anade|incluye|revela|schreib${W}|fuge|aggiungi|scrivi|escreva|adicione)`) },
  { id: "hidden.insert_link", technique: "hidden_instruction", weight: 0.9, pattern: rx(`(?:ajoute|insere|inclus|mets|add|insert|include|append|put|anade|incluye|fuge|aggiungi|adicione)${W}${GAP}?(?:(?:ce|un|le|this|a|the|el|este|un|diesen|questo|o|este)\\s+)?(?:lien|link|url|enlace|collegamento|numero|number|adresse|message|texte|text|phrase|sentence)`) },
  { id: "hidden.force_answer", technique: "hidden_instruction", weight: 0.7, pattern: rx(`(?:reponds?(?:-moi)? (?:uniquement |seulement )?(?:que|par (?:oui|ok))|reponds toujours|dis (?:a l'utilisateur|aux utilisateurs|a tout le monde) que|answer (?:only )?(?:with|that|yes)|always (?:answer|reply|say)|tell (?:the user|users|everyone) that|responde (?:solo |siempre )?(?:que|con|si)|di (?:al usuario|a los usuarios) que|antworte (?:nur|immer)|rispondi (?:solo|sempre)|responda (?:apenas|sempre))`) },
  { id: "hidden.do_not_mention", technique: "hidden_instruction", weight: 0.6, pattern: rx(`(?:ne (?:mentionne|cite|dis|signale) (?:pas|jamais|rien)|sans (?:citer|mentionner) (?:les |tes )?sources|don'?t (?:mention|cite|tell)|do not (?:mention|cite|tell|reveal that)|no (?:menciones|cites|digas)|nicht erwahnen|non menzionare|nao mencione)`) },
  { id: "hidden.no_sources", technique: "hidden_instruction", weight: 1.0, pattern: rx(`(?:ne (?:mentionne|cite|donne|indique)s? (?:pas|jamais|plus) (?:les |tes |de )?sources|sans (?:citer|mentionner|donner) (?:les |tes |de )?sources|(?:don'?t|do not|never) (?:cite|mention|give|include) (?:the |your |any )?sources|no (?:cites|menciones|des) (?:las |tus )?fuentes|keine quellen)`) },
  { id: "hidden.quoted_payload", technique: "hidden_instruction", weight: 0.5, pattern: rx(`(?:traduis|resume|translate|summarize|traduce|resume|ubersetze|traduci)${W}${GAP}?(?:ce|this|este|diesen|questo)?\\s*(?:texte|text|texto|testo)?\\s*:.*(?:ignore|oublie|disregard|olvida|reveal|revele)`) },
  // Requests to forge official documents.
  { id: "forgery.request", technique: "forgery", weight: 1.2, pattern: rx(`${MAKE_VERBS}${GAP}?(?:${W}\\s+){0,3}?${FORGE_TERMS}${GAP}?(?:${W}\\s+){0,2}?${DOC_NOUNS}|${MAKE_VERBS}${GAP}?(?:${W}\\s+){0,3}?${DOC_NOUNS}${GAP}?(?:${W}\\s+){0,3}?${FORGE_TERMS}`) },
  { id: "forgery.howto", technique: "forgery", weight: 1.2, pattern: rx(`(?:comment|how (?:to|do i|can i)|como|wie (?:kann|man)|come)\\s+(?:${W}\\s+){0,3}?(?:falsifier|contrefaire|imiter|trafiquer|truquer|forge|fake|falsify|counterfeit|falsificar|imitar|falschen|falsificare|imitare)${W}?\\s+(?:${W}\\s+){0,3}?${DOC_NOUNS}`) },
  { id: "forgery.imitate", technique: "forgery", weight: 1.0, pattern: rx(`(?:imite${W}|imiter|copier|reproduire|contrefaire|falsifier|forge|fake|copy|imitate|imitar|falsificar|copiar|nachmachen|imitare)\\s+(?:la |une |le |un |the |a |el |la |una |die |il )?(?:signature|tampon|cachet|sceau|logo|firma|sello|stamp|seal|unterschrift|timbro)`) },
  { id: "forgery.alter", technique: "forgery", weight: 1.0, pattern: rx(`(?:modifie${W}|change${W}|trafique${W}|retouche${W}|alter${W}|edit${W}|photoshop${W}|cambia${W}|andere${W}|modifica${W}|altere)\\s+(?:${W}\\s+){0,3}?(?:la date|le montant|le nom|les revenus|le salaire|the date|the amount|the name|the income|la fecha|el importe|el nombre|das datum|den betrag|la data|l'importo)\\s+(?:${W}\\s+){0,3}?(?:sur|de|dans|on|in|of|en|del|auf|im|sul|nel)\\s+(?:${W}\\s+){0,2}?${DOC_NOUNS}(?!.*(?:erreur|error|corriger|rectifier|correct|fix|faute|errone))`) },
  { id: "forgery.sign_as", technique: "forgery", weight: 1.0, pattern: rx(`(?:signe${W}|sign${W}|firma${W}|unterschreib${W}|firmi)\\s+(?:${W}\\s+){0,3}?(?:a la place|au nom|as|on behalf|en nombre|im namen|a nome)\\s+(?:de|d'|of|del|von|di)?\\s*(?:${W}\\s+){0,2}?(?:maire|prefet|medecin|employeur|ministre|mayor|doctor|employer|prefect|arzt|sindaco|medico|responsable|directeur)`) },
  // Other people's data.
  { id: "exfil.others", technique: "data_exfiltration", weight: 1.2, pattern: rx(`${DATA_NOUNS}${GAP}?(?:${W}\\s+){0,2}?${OTHERS}|${OTHERS}${GAP}?(?:${W}\\s+){0,2}?${DATA_NOUNS}`) },
  { id: "exfil.database", technique: "data_exfiltration", weight: 1.0, pattern: rx(`(?:ta|la|votre|your|the|tu|su|deine|la tua) (?:base de donnees|database|base de datos|datenbank|banca dati|memoire|memory|logs?|journaux|historique des conversations|conversation history|historial de conversaciones)`) },
  { id: "exfil.previous_user", technique: "data_exfiltration", weight: 1.0, pattern: rx(`(?:(?:utilisateur|usager|user|usuario|nutzer|utente|personne)s? (?:precedent${W}|d'avant|d'avant moi|previous|before me|anterior|vorherige${W}|precedente)|previous (?:user|person|conversation)|(?:ce qu'a|qu'a|what did) (?:demande|ask${W}|the) (?:l'utilisateur|quelqu'un|un autre|another|the other))`) },
  { id: "exfil.lookup_person", technique: "data_exfiltration", weight: 1.0, pattern: rx(`(?:donne|trouve|cherche|recupere|affiche|liste|give|find|look up|retrieve|list|dame|encuentra|busca|gib|finde|trova|dammi|encontre)${W}?(?:-moi|-nous| me| mir| mi)?\\s+(?:${W}\\s+){0,3}?(?:le|la|l'|les|the|el|la|die|den|il|o|a)?\\s*(?:nir|numero de securite sociale|adresse|iban|numero fiscal|revenus|telephone|social security number|address|phone number|numero de seguridad social|direccion|sozialversicherungsnummer|adresse|codice fiscale|indirizzo)\\s+(?:de|d'|du|of|del|de la|von|di|da)\\s+(?:m\\.|mme|monsieur|madame|mr|mrs|ms|senor|senora|herr|frau|signor|signora|mon voisin|ma voisine|my neighbou?r|mi vecino|[a-z]+ [a-z]+ (?:ne|nee|born|nacido|geboren|nato) )`) },
  // Contexts of legitimate questions sharing the words above.
  { id: "legit.victim_or_risk", technique: null, weight: -0.8, pattern: rx(`(?:que (?:risque|encourt)|quels? risques?|quelles? (?:sanctions?|peines?)|est-ce (?:un delit|illegal|puni)|sanctions?|penalit${W}|puni${W}|usage de faux|j'ai recu|on m'a (?:envoye|vole|usurpe)|victime|usurpation|arnaque|escroquerie|signaler|porter plainte|plainte|que faire (?:si|quand|face)|comment (?:reconnaitre|detecter|verifier|savoir si)|what (?:are the )?(?:penalt|risk)|is it (?:illegal|a crime)|i received|victim|scam|report (?:a|it)|que pasa si|es ilegal|he recibido|estafa|denunciar)`) },
];

/** Scores a normalised question; every view is checked and each feature counts once. */
export function scoreInjection(normalized: Pick<NormalizedText, "views" | "flags">, threshold = THRESHOLD): InjectionVerdict {
  const fired = FEATURES.filter((f) => normalized.views.some((view) => f.pattern.test(view)));
  let score = fired.reduce((sum, f) => sum + f.weight, 0);
  const positive = fired.filter((f) => f.weight > 0);
  // Obfuscation is a signal only when it hides something that already looks like an attack.
  if (positive.length > 0 && normalized.flags.some((flag) => flag !== "invisible_characters")) score += 0.3;
  if (positive.length > 0 && normalized.flags.includes("invisible_characters")) score += 0.3;
  score = Math.round(score * 100) / 100;
  const top = [...positive].sort((a, b) => b.weight - a.weight)[0];
  const blocked = score >= threshold;
  return { score, blocked, technique: blocked ? (top?.technique ?? null) : null, features: fired.map((f) => f.id) };
}

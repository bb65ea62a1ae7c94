/** "Automatic translation is not configured", in each language Guichet detects (English for any other). */
const NOTICES: Record<string, string> = {
  en: "Automatic translation is not configured: here is the answer in French, from the official French fiches.",
  es: "La traducción automática no está configurada: esta es la respuesta en francés, según las fichas oficiales francesas.",
  pt: "A tradução automática não está configurada: eis a resposta em francês, segundo as fichas oficiais francesas.",
  de: "Die automatische Übersetzung ist nicht eingerichtet: Hier ist die Antwort auf Französisch, aus den offiziellen französischen Merkblättern.",
  it: "La traduzione automatica non è configurata: ecco la risposta in francese, tratta dalle schede ufficiali francesi.",
  ar: "الترجمة الآلية غير مفعّلة: إليك الإجابة باللغة الفرنسية من البطاقات الرسمية الفرنسية.",
};

/** The notice that goes before a French answer when it cannot be translated into `language`. */
export function translationNotice(language: string): string {
  return NOTICES[language] ?? NOTICES.en!;
}

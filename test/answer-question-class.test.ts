import { classifyQuestion, cueClasses, QUESTION_CLASSES, questionClassFeatures } from "../tools/answer/question-class.js";
import { fitSparseLogistic } from "../tools/learn/sparse-logistic.js";

describe("classifyQuestion: what the question asks for", () => {
  it.each([
    ["Combien de temps faut-il pour obtenir un passeport ?", "duration"],
    ["Quel est le délai pour contester une amende ?", "duration"],
    ["Combien coûte un passeport ?", "amount"],
    ["Quel est le prix d'une carte grise ?", "amount"],
    ["À quel âge peut-on voter ?", "threshold"],
    ["Quel est le plafond de ressources pour la CSS ?", "threshold"],
    ["Quels documents fournir pour une carte d'identité ?", "procedure"],
    ["Où faire refaire ma carte d'identité ?", "where"],
    ["Ai-je droit au RSA si je suis étudiant ?", "eligibility"],
    ["Qu'est-ce que je risque si je conduis sans permis ?", "consequence"],
    ["C'est quoi le RSA ?", "definition"],
    ["À partir de quand puis-je toucher ma retraite ?", "date"],
    ["How much does a passport cost?", "amount"],
  ])("%j → %s (rules, no model)", (question, expected) => {
    expect(classifyQuestion(question, null)).toMatchObject({ questionClass: expected, source: "rules" });
  });

  it("a duration is not an amount: «combien de temps» matches no amount cue first", () => {
    expect(cueClasses("Combien de temps pour un passeport ?")[0]).toBe("duration");
    expect(cueClasses("combien ça coûte ?")[0]).toBe("amount");
  });

  it("falls back to procedure when no cue matches and there is no model", () => {
    expect(classifyQuestion("mon propriétaire et la caution", null)).toEqual({ questionClass: "procedure", source: "default", cues: [] });
  });

  it("lets a learnt model decide, with the cues among its features", () => {
    const features = questionClassFeatures("Combien de temps pour un passeport ?");
    expect(features.get("first-cue:duration")).toBe(1);
    expect(features.get("w:combien de")).toBe(1);
    const examples = [
      { q: "combien de temps pour un passeport", c: "duration" },
      { q: "quel délai pour une carte grise", c: "duration" },
      { q: "combien coûte un passeport", c: "amount" },
      { q: "prix de la carte grise", c: "amount" },
    ];
    const fitted = fitSparseLogistic(examples.map((e) => ({ features: questionClassFeatures(e.q), label: e.c })), { minCount: 1, epochs: 200 });
    const model = { classes: ["amount", "duration"] as const, byClass: fitted.byClass, trainedOn: "test", lambda: 0.001 };
    expect(classifyQuestion("combien de temps faut-il", { ...model, classes: [...model.classes] })).toMatchObject({ questionClass: "duration", source: "model" });
    expect(classifyQuestion("quel est le prix", { ...model, classes: [...model.classes] })).toMatchObject({ questionClass: "amount", source: "model" });
  });

  it("knows nine classes", () => {
    expect(QUESTION_CLASSES).toHaveLength(9);
  });
});

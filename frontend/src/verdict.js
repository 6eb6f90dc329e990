// What an answer says in a word or two, wherever it is shown: the fruit, "Not a fruit" or "Not sure".
import { labelName } from "./dom.js";

/** @param {{label: string, abstained: boolean}} answer the server's, the device's or a stored one */
export function verdictText(answer) {
  if (!answer.abstained) return labelName(answer.label);
  return answer.label === "not_fruit" ? "Not a fruit" : "Not sure";
}

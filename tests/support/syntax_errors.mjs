// Parse Kotlin, Swift and Dart files with tree-sitter (web-tree-sitter and the grammars that tree-sitter-wasms
// ships as WebAssembly: no compiler or platform toolchain needed) and print, as JSON, each file's ERROR and MISSING
// nodes: {"<file>": ["ERROR at 12:5", "MISSING ) at 19:54"]}. An empty list: the file parses cleanly.
// Usage: node tests/support/syntax_errors.mjs <file>...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { extname } from "node:path";
import { Language, Parser } from "web-tree-sitter";

const GRAMMARS = { ".kt": "kotlin", ".swift": "swift", ".dart": "dart" };
const require = createRequire(import.meta.url);

function problems(tree) {
  const found = [];
  const cursor = tree.walk();
  const visit = () => {
    do {
      const node = cursor.currentNode;
      const where = `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
      if (node.isMissing) found.push(`MISSING ${node.type} at ${where}`);
      else if (node.isError) found.push(`ERROR at ${where}`);
      else if (node.hasError && cursor.gotoFirstChild()) {
        visit();
        cursor.gotoParent();
      }
    } while (cursor.gotoNextSibling());
  };
  visit();
  return found;
}

await Parser.init();
const report = {};
for (const file of process.argv.slice(2)) {
  const grammar = GRAMMARS[extname(file)];
  if (!grammar) throw new Error(`no grammar for ${file}`);
  const language = await Language.load(require.resolve(`tree-sitter-wasms/out/tree-sitter-${grammar}.wasm`));
  const parser = new Parser();
  parser.setLanguage(language);
  report[file] = problems(parser.parse(readFileSync(file, "utf8")));
}
console.log(JSON.stringify(report));

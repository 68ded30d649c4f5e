// Reads a JSON array of {q, sosl} from stdin and writes a JSON array of
// {ok, error}: whether the Apex grammar of @apexdevtools/apex-parser parses
// each query. SOQL goes through the `query` rule, SOSL through
// `soslLiteralAlt` (the API's FIND {term} form, wrapped in [ ] as the rule
// wants). A parse that stops before the end of the text is an error too.
import { ApexParserFactory, ApexErrorListener } from "@apexdevtools/apex-parser";
import { readFileSync } from "node:fs";

class Collect extends ApexErrorListener {
  constructor() {
    super();
    this.errors = [];
  }
  apexSyntaxError(line, column, msg) {
    this.errors.push(`${line}:${column} ${msg}`);
  }
}

const input = JSON.parse(readFileSync(0, "utf8"));
const out = input.map(({ q, sosl }) => {
  const listener = new Collect();
  const text = sosl ? `[${q}]` : q;
  const { parser } = ApexParserFactory.createLexerAndParser(text, listener);
  if (sosl) parser.soslLiteralAlt();
  else parser.query();
  const next = parser.getCurrentToken();
  if (listener.errors.length === 0 && next.type !== -1) {
    listener.errors.push(`${next.line}:${next.column} trailing input '${next.text}'`);
  }
  return { ok: listener.errors.length === 0, error: listener.errors[0] || "" };
});
process.stdout.write(JSON.stringify(out));

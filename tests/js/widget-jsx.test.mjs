// widgets/tsx/widget-jsx.d.ts: the JSX a custom widget is checked against accepts what the sandbox draws
// and refuses what its allowlist would drop.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";

import ts from "typescript";

const ROOT = process.cwd();
const FILE = path.join(ROOT, "__widget__.tsx");
const TYPINGS = path.join(ROOT, "widgets", "tsx", "widget-jsx.d.ts");
const PROPS = "interface Props { title: string; rows: { region: string | null; value: number | null }[] }\n";

function errors(tsx) {
  const options = { strict: true, noEmit: true, jsx: ts.JsxEmit.React, target: ts.ScriptTarget.ES2020,
    lib: ["lib.es2020.d.ts"], types: [], moduleDetection: ts.ModuleDetectionKind.Legacy, skipLibCheck: true,
    noResolve: true };
  const host = ts.createCompilerHost(options, true);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) => (name === FILE
    ? ts.createSourceFile(name, PROPS + tsx, version, true, ts.ScriptKind.TSX) : read(name, version));
  const program = ts.createProgram({ rootNames: [FILE, TYPINGS], options, host });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, " "));
}

test("a component with hooks, styles, SVG and mouse handlers checks", () => {
  assert.deepEqual(errors(`
function Bar(props: { share: number }) { return <div style={{ width: props.share * 100 + "%", height: 8 }} />; }
function Widget(props: Props) {
  const [hover, setHover] = React.useState<string | null>(null);
  const total = React.useMemo(() => props.rows.reduce((s, r) => s + (r.value ?? 0), 0), [props.rows]);
  React.useEffect(() => { setHover(null); }, [props.rows]);
  return (
    <div className="w" style={{ display: "flex", flexDirection: "column", gap: 4 }} data-testid="w">
      <h3 title={props.title}>{props.title}</h3>
      {props.rows.map((r) => (
        <div key={r.region ?? ""} onMouseEnter={(e: React.MouseEvent<unknown>) => setHover(e.key)}
             onClick={(e) => setHover(e.shiftKey ? null : e.target.key)}>
          <Bar share={(r.value ?? 0) / (total || 1)} />
        </div>
      ))}
      <svg viewBox="0 0 10 10" width="100%" height={20}><rect x={0} y={0} width={5} height={5} fill="#123" /></svg>
      <table><tbody><tr><td colSpan={2}>{hover ?? "-"}</td></tr></tbody></table>
    </div>
  );
}`), []);
});

test("what the sandbox would drop does not check", () => {
  const cases = {
    '<a href="https://x.test">x</a>': "Property 'a' does not exist",
    '<img src="x" />': "Property 'img' does not exist",
    "<iframe />": "Property 'iframe' does not exist",
    "<button>b</button>": "Property 'button' does not exist",
    '<input value="x" />': "Property 'input' does not exist",
    '<div style={{ backgroundImage: "url(x)" }} />': "'backgroundImage' does not exist",
    "<div onKeyDown={() => 0} />": "'onKeyDown' does not exist",
    '<div dangerouslySetInnerHTML={{ __html: "" }} />': "'dangerouslySetInnerHTML' does not exist",
    "<div tabIndex={0} />": "'tabIndex' does not exist",
    "<p onClick={(e) => e.view} />": "'view' does not exist",
    "<svg><use href='#x' /></svg>": "Property 'use' does not exist",
    "<p>{document.title}</p>": "Cannot find name 'document'",
  };
  for (const [jsx, expected] of Object.entries(cases)) {
    const found = errors(`function Widget(props: Props) { return ${jsx}; }`);
    assert.ok(found.some((message) => message.includes(expected)), `${jsx}: ${found.join(" | ")}`);
  }
});

// One warm checker thread (see server.mjs): loads the compiler and the typings once, then checks one
// component per message. Its heap and stack are capped by the server (`resourceLimits`), and the
// server terminates it when a check runs past its deadline; nothing here needs to defend itself.
//
// in:  {id, input: {props_ts, tsx}}
// out: {event: "ready"} once warm, then per message {id, ok, errors, js} or {id, fault: string}
import { parentPort } from "node:worker_threads";

import { check } from "./check.mjs";

// Checked at start, a few times: parses (and binds) the lib files and typings and warms the compiler's
// code on the kinds of JSX components use (HTML and SVG elements, style objects, maps over rows), so
// that the first checks after a start are as fast as the later ones.
const WARM_UP = {
  props_ts: "interface Row { region: string | null; value: number | null }\n"
    + "interface Props { title: string; rows: Row[]; truncated: boolean }\n",
  tsx: "const MUTED = \"#6b7280\";\n"
    + "function Widget(props: Props) {\n"
    + "  const top = props.rows.slice(0, 3);\n"
    + "  const max = Math.max(1, ...top.map((row) => row.value ?? 0));\n"
    + "  return (<div style={{ padding: 8, color: MUTED }}><h3>{props.title}</h3>\n"
    + "    <ul>{top.map((row, i) => <li key={i}>{row.region ?? \"\"}: {String(row.value)}</li>)}</ul>\n"
    + "    <svg width={100} height={20} viewBox=\"0 0 100 20\">{top.map((row, i) => (\n"
    + "      <rect key={i} x={i * 30} y={0} width={(100 * (row.value ?? 0)) / max} height={20} fill=\"#2563eb\" />))}\n"
    + "      <polyline fill=\"none\" stroke=\"#2563eb\" strokeWidth={2} points=\"0,0 10,10\" />\n"
    + "      <text x={0} y={10} fontSize={10}>{props.truncated ? \"…\" : \"\"}</text></svg>\n"
    + "    <table><tbody><tr><td>{top.length}</td></tr></tbody></table></div>);\n"
    + "}\n",
};

for (let round = 0; round < 3; round += 1) {
  const warm = check(WARM_UP);
  if (!warm.ok) throw new Error(`the warm-up component did not pass: ${warm.errors.join("; ")}`);
}
parentPort.postMessage({ event: "ready" });

parentPort.on("message", ({ id, input }) => {
  let reply;
  try {
    reply = { id, ...check(input) };
  } catch (error) {
    reply = { id, fault: String((error && error.stack) || error).slice(0, 2000) };
  }
  parentPort.postMessage(reply);
});

// One warm checker thread (see server.mjs): loads the compiler and the typings once, then checks one
// component per message. Its heap and stack are capped by the server (`resourceLimits`), and the
// server terminates it when a check runs past its deadline; nothing here needs to defend itself.
//
// in:  {id, input: {props_ts, tsx}}
// out: {event: "ready"} once warm, then per message {id, ok, errors, js} or {id, fault: string}
import { parentPort } from "node:worker_threads";

import { check } from "./check.mjs";

// Checked once at start: parses (and binds) the lib files and typings and warms the compiler's code.
const WARM_UP = {
  props_ts: "interface Row { region: string | null; value: number | null }\n"
    + "interface Props { title: string; rows: Row[]; truncated: boolean }\n",
  tsx: "function Widget(props: Props) {\n"
    + "  const top = props.rows.slice(0, 3);\n"
    + "  return (<div style={{ padding: 8 }}><h3>{props.title}</h3>\n"
    + "    <ul>{top.map((row, i) => <li key={i}>{row.region ?? \"\"}: {String(row.value)}</li>)}</ul></div>);\n"
    + "}\n",
};

const warm = check(WARM_UP);
if (!warm.ok) throw new Error(`the warm-up component did not pass: ${warm.errors.join("; ")}`);
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

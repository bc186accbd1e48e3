// Checks one custom widget written in TSX with the real TypeScript compiler and transpiles it.
//
// stdin:  {"props_ts": string, "tsx": string}
// stdout: {"ok": bool, "errors": [string], "js": string|null}
//
// `props_ts + tsx` is type-checked as ONE script (React is the UMD global, no imports) under
// strict options; then the AST of the tsx is walked for constructs a widget has no business using
// (imports, eval, network and DOM globals, timers, ...). These rules are a first layer that gives
// the model a clear reason to fix its code; the boundary is the sandboxed, opaque-origin iframe
// with its own CSP (templates/widgets/sandbox.html). Exit status is 0 whenever the JSON was
// written, nonzero only when this script itself crashed.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const FILE = path.join(ROOT, "__widget__.tsx"); // virtual: never written to disk
const MAX_TSX = 20_000;
const MAX_PROPS_TS = 20_000;
const MAX_ERRORS = 10;

const OPTIONS = {
  strict: true,
  noEmit: true,
  jsx: ts.JsxEmit.React,
  target: ts.ScriptTarget.ES2020,
  lib: ["lib.es2020.d.ts", "lib.dom.d.ts"],
  allowUmdGlobalAccess: true,
  moduleDetection: ts.ModuleDetectionKind.Legacy,
  types: ["react"],
  typeRoots: [path.join(ROOT, "node_modules", "@types")],
  skipLibCheck: true,
  noFallthroughCasesInSwitch: true,
  // The compiler follows nothing the source names: `/// <reference path>` and imports would make it
  // read files of the server's choosing (see referenceError). @types/react is loaded through `types`.
  noResolve: true,
};

// Globals a widget may not reach: the page, the network, storage, other frames, code from strings.
const FORBIDDEN_GLOBALS = new Map([
  ...["window", "self", "globalThis", "parent", "top", "frames", "opener"]
    .map((n) => [n, `'${n}' is not allowed: a widget renders its props and cannot reach the page`]),
  ["document", "'document' is not allowed: render with JSX instead of touching the DOM"],
  ["location", "'location' is not allowed: a widget cannot navigate"],
  ["navigator", "'navigator' is not allowed"],
  ...["fetch", "XMLHttpRequest", "WebSocket", "EventSource", "Worker", "SharedWorker", "importScripts"]
    .map((n) => [n, `'${n}' is not allowed: a widget cannot use the network; its data arrives in props`]),
  ...["localStorage", "sessionStorage", "indexedDB", "caches"]
    .map((n) => [n, `'${n}' is not allowed: a widget cannot use browser storage`]),
  ["postMessage", "'postMessage' is not allowed"],
  ["eval", "'eval' is not allowed"],
  ["Function", "'Function' is not allowed: code cannot be built from strings"],
  ["require", "'require' is not allowed: React is available as the global React, nothing else can be imported"],
  ...["setTimeout", "setInterval", "requestAnimationFrame", "requestIdleCallback"]
    .map((n) => [n, `'${n}' is not allowed: timers are not needed to render props (animate with CSS transitions)`]),
  ["ReactDOM", "'ReactDOM' is not allowed: the sandbox renders the Widget component itself"],
  // Channels no CSP directive governs (WebRTC sends STUN/TURN packets wherever its ICE servers
  // say); the sandbox deletes them too (static/widgets/sandbox.js, NETWORK_GLOBALS).
  ...["RTCPeerConnection", "webkitRTCPeerConnection", "RTCDataChannel", "RTCIceTransport", "RTCSessionDescription",
    "RTCIceCandidate", "RTCRtpSender", "RTCRtpReceiver", "RTCRtpTransceiver", "RTCDtlsTransport", "RTCSctpTransport",
    "RTCCertificate", "MediaStream", "WebTransport", "Request", "XSLTProcessor", "open"]
    .map((n) => [n, `'${n}' is not allowed: a widget cannot use the network; its data arrives in props`]),
  ["customElements", "'customElements' is not allowed: render with JSX"],
]);

// Property names that lead from any object back to the page or to the Function constructor.
const FORBIDDEN_PROPERTIES = new Set([
  "constructor", "__proto__", "ownerDocument", "defaultView", "contentWindow", "contentDocument",
]);

// Elements that navigate, load or embed something (the SVG ones load their href), and form controls:
// a widget draws with divs, spans, tables and SVG, and collecting input on a shared dashboard is
// a phishing form waiting to happen.
const FORBIDDEN_ELEMENTS = new Set([
  "a", "area", "base", "embed", "form", "frame", "iframe", "link", "meta", "object", "portal", "script",
  "fencedframe", "image", "use", "foreignObject", "feImage",
  "input", "textarea", "select", "button", "option", "optgroup", "datalist",
]);
const FORM_CONTROLS = new Set(["input", "textarea", "select", "button", "option", "optgroup", "datalist"]);

/** Returns the parsed request {props_ts, tsx}, or throws an Error whose message is a user-facing reason. */
function parseInput(text) {
  let input;
  try {
    input = JSON.parse(text);
  } catch {
    throw new Error("The checker's input is not JSON.");
  }
  if (!input || typeof input.tsx !== "string" || typeof input.props_ts !== "string") {
    throw new Error("The checker's input must be {\"props_ts\": string, \"tsx\": string}.");
  }
  if (input.tsx.length > MAX_TSX) {
    throw new Error(`The component is ${input.tsx.length} characters long; the limit is ${MAX_TSX}.`);
  }
  if (input.props_ts.length > MAX_PROPS_TS) {
    throw new Error(`The Props declaration is longer than ${MAX_PROPS_TS} characters.`);
  }
  if (!input.tsx.trim()) throw new Error("The component is empty.");
  return input;
}

/** Returns a CompilerHost serving the virtual widget file from memory and everything else from disk. */
function makeHost(source) {
  const host = ts.createCompilerHost(OPTIONS, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) =>
    path.resolve(fileName) === FILE
      ? ts.createSourceFile(fileName, source, languageVersion, true, ts.ScriptKind.TSX)
      : getSourceFile(fileName, languageVersion, onError, shouldCreate);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => path.resolve(fileName) === FILE || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => (path.resolve(fileName) === FILE ? source : readFile(fileName));
  host.writeFile = () => {};
  return host;
}

/** Returns a function formatting (file, position, message) as "line L: message", L counted in the tsx. */
function makeFormatter(offsetLines) {
  return (sourceFile, start, message) => {
    if (!sourceFile || start === undefined) return message;
    const line = sourceFile.getLineAndCharacterOfPosition(start).line + 1;
    if (sourceFile.fileName !== FILE) return message;
    return line > offsetLines ? `line ${line - offsetLines}: ${message}` : `Props line ${line}: ${message}`;
  };
}

function diagnosticText(diagnostic, format) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
  return format(diagnostic.file, diagnostic.start, message);
}

/** True when ``id`` names a property, attribute, label or intrinsic tag rather than a variable. */
function isNameNotReference(id) {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return true;
  if (ts.isQualifiedName(parent) && parent.right === id) return true;
  if (ts.isJsxAttribute(parent) || ts.isLabeledStatement(parent)) return true;
  if (ts.isBreakOrContinueStatement(parent)) return true;
  if (ts.isBindingElement(parent) && parent.propertyName === id) return true;
  if ((ts.isJsxOpeningElement(parent) || ts.isJsxSelfClosingElement(parent) || ts.isJsxClosingElement(parent))
    && parent.tagName === id && /^[a-z]/.test(id.text)) return true;
  const named = [ts.isPropertyAssignment, ts.isPropertyDeclaration, ts.isPropertySignature, ts.isMethodDeclaration,
    ts.isMethodSignature, ts.isGetAccessorDeclaration, ts.isSetAccessorDeclaration, ts.isEnumMember];
  return named.some((is) => is(parent) && parent.name === id);
}

/** True when ``id`` resolves to a global from the lib files (or to nothing), not to a local of the widget. */
function isGlobalReference(id, checker) {
  const symbol = ts.isShorthandPropertyAssignment(id.parent)
    ? checker.getShorthandAssignmentValueSymbol(id.parent)
    : checker.getSymbolAtLocation(id);
  const declarations = (symbol && symbol.declarations) || [];
  return declarations.length === 0 || declarations.some((d) => d.getSourceFile().fileName !== FILE);
}

function elementError(shown, tag) {
  return FORM_CONTROLS.has(tag)
    ? `${shown} is not allowed: a widget shows data and does not collect input`
    : `${shown} is not allowed: a widget cannot link, embed or load anything`;
}

/** Returns the tag of `React.createElement("tag", …)` (or `React["createElement"]`), else null. */
function createdTag(node) {
  if (!ts.isCallExpression(node) || node.arguments.length === 0 || !ts.isStringLiteralLike(node.arguments[0])) return null;
  const callee = node.expression;
  const name = ts.isPropertyAccessExpression(callee) ? callee.name.text
    : ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)
      ? callee.argumentExpression.text : null;
  return name === "createElement" ? node.arguments[0].text : null;
}

/** Returns the error for one node of the tsx, or null when the node is allowed. */
function ruleError(node, checker) {
  if (ts.isImportDeclaration(node) || ts.isImportEqualsDeclaration(node)) {
    return "imports are not allowed: React is available as the global React";
  }
  if (ts.isExportDeclaration(node) || ts.isExportAssignment(node)
    || (ts.canHaveModifiers(node) && (ts.getModifiers(node) || []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword))) {
    return "exports are not allowed: define a top-level component named Widget";
  }
  if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) return "import() is not allowed";
  if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) return "import.meta is not allowed";
  if (node.kind === ts.SyntaxKind.WithStatement) return "'with' is not allowed";
  if (node.kind === ts.SyntaxKind.ThisKeyword) return "'this' is not allowed: write function components";
  if (ts.isIdentifier(node) && FORBIDDEN_GLOBALS.has(node.text) && !isNameNotReference(node)
    && isGlobalReference(node, checker)) return FORBIDDEN_GLOBALS.get(node.text);
  if (ts.isPropertyAccessExpression(node) && FORBIDDEN_PROPERTIES.has(node.name.text)) {
    return `'.${node.name.text}' is not allowed`;
  }
  if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)
    && (FORBIDDEN_PROPERTIES.has(node.argumentExpression.text) || FORBIDDEN_GLOBALS.has(node.argumentExpression.text))) {
    return `'["${node.argumentExpression.text}"]' is not allowed`;
  }
  if (ts.isJsxOpeningElement(node) || ts.isJsxSelfClosingElement(node)) {
    // <svg:image> is created as an SVG <image>: what counts is the local name.
    const tag = ts.isJsxNamespacedName(node.tagName) ? node.tagName.name.text : node.tagName.getText();
    if (FORBIDDEN_ELEMENTS.has(tag)) return elementError(`<${node.tagName.getText()}>`, tag);
  }
  const created = createdTag(node);
  if (created !== null && FORBIDDEN_ELEMENTS.has(created.split(":").pop())) {
    return elementError(`React.createElement("${created}")`, created.split(":").pop());
  }
  if (ts.isJsxAttribute(node) && node.name.getText() === "dangerouslySetInnerHTML") {
    return "dangerouslySetInnerHTML is not allowed: render with JSX";
  }
  return null;
}

/** Returns the rule errors found in the tsx part (nodes starting at or after ``tsxStart``). */
function ruleErrors(sourceFile, tsxStart, checker, format) {
  const errors = [];
  const visit = (node) => {
    const error = node.end > tsxStart ? ruleError(node, checker) : null;
    if (error) errors.push(format(sourceFile, node.getStart(sourceFile), error));
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  if (!hasWidget(sourceFile, tsxStart)) errors.push("Define a component named Widget that takes props: Props");
  return errors;
}

function takesProps(fn) {
  const param = fn && fn.parameters && fn.parameters[0];
  return Boolean(param && param.type && ts.isTypeReferenceNode(param.type) && param.type.typeName.getText() === "Props");
}

/** True when the tsx declares, at top level, `function Widget(props: Props)` or `const Widget = (props: Props) => …`. */
function hasWidget(sourceFile, tsxStart) {
  return sourceFile.statements.some((statement) => {
    if (statement.getStart(sourceFile) < tsxStart) return false;
    if (ts.isFunctionDeclaration(statement)) return statement.name?.text === "Widget" && takesProps(statement);
    if (!ts.isVariableStatement(statement)) return false;
    return statement.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === "Widget"
      && d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))
      && takesProps(d.initializer));
  });
}

/** Returns an error for each triple-slash directive (`/// <reference path|types|lib=…>`) of the tsx.
 * The compiler would read the file a directive names, any file on the server, and could echo parts
 * of it in its diagnostics; noResolve stops path and types, but not lib, so all three are refused.
 * Directives count only at the top of a file, so the tsx is read on its own as well as after Props
 * (where they would act were props_ts ever empty). */
function referenceErrors(tsx, source, format) {
  const errors = [];
  for (const [text, lineOf] of [[tsx, (line) => `line ${line}`], [source, null]]) {
    const sourceFile = ts.createSourceFile(FILE, text, ts.ScriptTarget.ES2020, true, ts.ScriptKind.TSX);
    const directives = [
      ...sourceFile.referencedFiles, ...sourceFile.typeReferenceDirectives, ...sourceFile.libReferenceDirectives,
    ];
    for (const d of directives) {
      const message = "'/// <reference ...>' directives are not allowed: React is the global React, nothing else can be loaded";
      errors.push(lineOf ? `${lineOf(sourceFile.getLineAndCharacterOfPosition(d.pos).line + 1)}: ${message}`
        : format(sourceFile, d.pos, message));
    }
  }
  return [...new Set(errors)];
}

/** Returns the tsx alone as an ES2020 strict-mode script whose top level defines Widget. */
function transpile(tsx) {
  const out = ts.transpileModule(tsx, {
    fileName: "widget.tsx",
    compilerOptions: {
      jsx: ts.JsxEmit.React, target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.None,
      moduleDetection: ts.ModuleDetectionKind.Legacy, alwaysStrict: true, removeComments: true,
    },
  });
  return out.outputText.replace(/\n?\/\/# sourceMappingURL=.*$/, "");
}

/** Returns {ok, errors, js} for one request; never throws for bad input (only for internal faults). */
function check(input) {
  const prefix = input.props_ts.endsWith("\n") || input.props_ts === "" ? input.props_ts : `${input.props_ts}\n`;
  const offsetLines = prefix === "" ? 0 : prefix.split("\n").length - 1;
  const source = prefix + input.tsx;
  const format = makeFormatter(offsetLines);
  // Before any program exists: building one would already read the files a directive names.
  const references = referenceErrors(input.tsx, source, format);
  if (references.length) return { ok: false, errors: references.slice(0, MAX_ERRORS), js: null };
  const program = ts.createProgram({ rootNames: [FILE], options: OPTIONS, host: makeHost(source) });
  const sourceFile = program.getSourceFile(FILE);
  const syntax = program.getSyntacticDiagnostics(sourceFile).map((d) => diagnosticText(d, format));
  if (syntax.length) return { ok: false, errors: syntax.slice(0, MAX_ERRORS), js: null };
  const checker = program.getTypeChecker();
  const errors = [
    ...ruleErrors(sourceFile, prefix.length, checker, format),
    ...program.getGlobalDiagnostics().map((d) => diagnosticText(d, format)),
    ...program.getSemanticDiagnostics(sourceFile).map((d) => diagnosticText(d, format)),
  ];
  if (errors.length) return { ok: false, errors: [...new Set(errors)].slice(0, MAX_ERRORS), js: null };
  return { ok: true, errors: [], js: transpile(input.tsx) };
}

function main() {
  const text = fs.readFileSync(0, "utf8");
  let input;
  try {
    input = parseInput(text);
  } catch (error) {
    process.stdout.write(JSON.stringify({ ok: false, errors: [error.message], js: null }));
    return;
  }
  process.stdout.write(JSON.stringify(check(input)));
}

main();

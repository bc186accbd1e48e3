// Checks one custom widget written in TSX with the real TypeScript compiler and compiles it.
//
// As a module, `check({props_ts, tsx})` returns {ok, errors, js}: the warm checker (server.mjs runs
// worker.mjs in worker threads) calls it for each component. As a script it is the one-shot checker:
// stdin {"props_ts": string, "tsx": string}, stdout {"ok": bool, "errors": [string], "js": string|null}.
//
// `props_ts + tsx` is ONE source text: it is type-checked as one strict script (React is a global
// declared by widget-jsx.d.ts, no imports) and the same program, under the same options, emits the
// JavaScript that is shipped, so nothing (a JSX pragma, a const enum, strictness) can read one way when
// checked and another when run. Then the AST of the tsx is walked for constructs a widget has no business
// using (imports, eval, network and DOM globals, timers, type-level programming, ...). These rules are a
// first layer that gives the model a clear reason to fix its code; the boundary is the QuickJS VM in a
// Worker of the sandboxed, opaque-origin frame (static/widgets/sandbox-worker.js), whose only endowment
// is our renderer, and the frame's allowlist of elements, attributes and styles (static/widgets/sandbox.js).
// The script's exit status is 0 whenever the JSON was written, nonzero only when it crashed.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const FILE = path.join(ROOT, "__widget__.tsx"); // virtual: never written to disk
const MAX_TSX = 20_000;
const MAX_PROPS_TS = 20_000;
const MAX_ERRORS = 10;

// What the component is checked against (lib files, JSX and event typings) is chosen in typings.json only.
export const TYPINGS = JSON.parse(fs.readFileSync(path.join(ROOT, "widgets", "tsx", "typings.json"), "utf8"));

// The options of the one program that checks AND emits the component.
const OPTIONS = {
  strict: true, // alwaysStrict with it: the emitted script starts with "use strict", as it was checked
  jsx: ts.JsxEmit.React,
  target: ts.ScriptTarget.ES2020,
  module: ts.ModuleKind.None,
  lib: TYPINGS.lib,
  moduleDetection: ts.ModuleDetectionKind.Legacy,
  types: TYPINGS.types,
  typeRoots: TYPINGS.typeRoots.map((p) => path.join(ROOT, p)),
  skipLibCheck: true,
  noFallthroughCasesInSwitch: true,
  // The compiler follows nothing the source names: `/// <reference path>` and imports would make it
  // read files of the server's choosing (see referenceErrors). The typings are loaded through `types`.
  noResolve: true,
  removeComments: true,
  newLine: ts.NewLineKind.LineFeed,
  sourceMap: false,
  declaration: false,
};
const TYPING_FILES = TYPINGS.files.map((p) => path.join(ROOT, p));

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
  // say); the component's VM has none of them (static/widgets/sandbox-worker.js).
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

/** Throws an Error whose message is a user-facing reason when ``input`` is not a request {props_ts, tsx}. */
function parseInput(input) {
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
}

// Everything but the component is read once per process (per worker thread) and kept: the lib files
// and typings parsed (and, after the first program, bound), the file-system lookups of the types
// resolution. Only files the options name are read: noResolve and the refused directives see to it.
const BASE_HOST = ts.createCompilerHost(OPTIONS, true);
const SOURCE_FILES = new Map();
const LOOKUPS = new Map();

function remembered(kind, fileName, read) {
  const key = `${kind}:${fileName}`;
  if (!LOOKUPS.has(key)) LOOKUPS.set(key, read());
  return LOOKUPS.get(key);
}

/** Returns a CompilerHost serving the virtual widget file from memory and everything else from the cache. */
function makeHost(source) {
  const host = Object.create(BASE_HOST);
  const isWidget = (fileName) => path.resolve(fileName) === FILE;
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (isWidget(fileName)) return ts.createSourceFile(fileName, source, languageVersion, true, ts.ScriptKind.TSX);
    const key = `${fileName}:${JSON.stringify(languageVersion)}`;
    if (!SOURCE_FILES.has(key)) {
      SOURCE_FILES.set(key, BASE_HOST.getSourceFile(fileName, languageVersion, onError, shouldCreate));
    }
    return SOURCE_FILES.get(key);
  };
  host.fileExists = (fileName) => isWidget(fileName) || remembered("exists", fileName, () => BASE_HOST.fileExists(fileName));
  host.directoryExists = (name) => remembered("dir", name, () => BASE_HOST.directoryExists(name));
  host.readFile = (fileName) => (isWidget(fileName) ? source : remembered("read", fileName, () => BASE_HOST.readFile(fileName)));
  host.realpath = (name) => remembered("real", name, () => (BASE_HOST.realpath ? BASE_HOST.realpath(name) : name));
  host.getDirectories = (name) => remembered("dirs", name, () => BASE_HOST.getDirectories(name));
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
  // `any` turns the type check off for what it touches (`const p: any = props; p[name]...`), and a JSX
  // spread passes attributes no one wrote out: both hide from these rules what the component does.
  if (node.kind === ts.SyntaxKind.AnyKeyword) {
    return "the type 'any' is not allowed (as an annotation, in 'as any', 'any[]' or a type argument): "
      + "give the value its real type, or use 'unknown' and narrow it with typeof";
  }
  if (ts.isJsxSpreadAttribute(node)) {
    return "JSX spread attributes ('{...x}') are not allowed: write each attribute out, e.g. style={x.style}";
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

// Comment directives that change how the source is compiled or checked: JSX pragmas (`@jsx`,
// `@jsxFrag`, `@jsxImportSource`, `@jsxRuntime`: TypeScript reads them case-insensitively, in `//` and
// `/* */` comments) and the ones that silence the type check (`@ts-ignore`, `@ts-expect-error`,
// `@ts-nocheck`). The text is refused wherever it appears, in a comment, a string or JSX text: a widget
// has no use for it, and no reading of where a comment starts can then be fooled.
const DIRECTIVES = [
  [/@jsx/gi, "JSX pragmas ('@jsx…' comments) are not allowed: the component is compiled with React.createElement"],
  [/@ts-(?:ignore|expect-error|nocheck)/gi, "'@ts-ignore', '@ts-expect-error' and '@ts-nocheck' are not allowed: fix the type error instead"],
];

/** Returns an error for each line of the tsx holding a compile or check directive (see DIRECTIVES). */
function directiveErrors(tsx) {
  const errors = [];
  for (const [pattern, message] of DIRECTIVES) {
    const lines = new Set([...tsx.matchAll(pattern)].map((m) => tsx.slice(0, m.index).split("\n").length));
    for (const line of lines) errors.push(`line ${line}: ${message}`);
  }
  return errors;
}

// Type-level programming: what recursive type bombs are made of (a conditional type that recurses
// doubles its work per level and kept the old checker busy for seconds), and never needed to
// describe a widget's props and values. Refused before the type checker runs; the deadline and
// memory cap of the warm checker (server.mjs) stop whatever else proves expensive to check.
function typeLevelError(node) {
  if (ts.isConditionalTypeNode(node)) {
    return "conditional types ('A extends B ? C : D') are not allowed: a widget's types describe its props and values";
  }
  if (ts.isMappedTypeNode(node)) return "mapped types ('{ [K in …]: … }') are not allowed: write the properties out";
  if (ts.isTemplateLiteralTypeNode(node)) return "template literal types are not allowed: use string";
  return null;
}

// How many members a type may expand to, counted from the syntax before the checker runs. The checker
// expands an intersection of unions to their cross product: five unions of 9 object types intersected
// (a 1 KB component) held it for 15 s; no widget's types need more than a few dozen members.
const MAX_UNION_MEMBERS = 200;
const MAX_INTERSECTION_MEMBERS = 100;

/** Returns the union and intersection size errors of the tsx part: each union's members counted, and each
 * intersection's as the product of its operands' counts, through the file's own type aliases. */
function typeSizeErrors(sourceFile, tsxStart, format) {
  const aliases = new Map();
  const collect = (node) => {
    if (ts.isTypeAliasDeclaration(node)) aliases.set(node.name.text, node);
    ts.forEachChild(node, collect);
  };
  collect(sourceFile);
  const sizes = new Map(); // alias name -> members (null while it is being counted: a cycle counts 1)
  const size = (node) => {
    if (ts.isParenthesizedTypeNode(node)) return size(node.type);
    if (ts.isUnionTypeNode(node)) return node.types.reduce((sum, t) => sum + size(t), 0);
    if (ts.isIntersectionTypeNode(node)) return node.types.reduce((product, t) => product * size(t), 1);
    if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && aliases.has(node.typeName.text)) {
      const name = node.typeName.text;
      if (!sizes.has(name)) {
        sizes.set(name, null);
        sizes.set(name, size(aliases.get(name).type));
      }
      return sizes.get(name) ?? 1;
    }
    return 1;
  };
  const errors = [];
  const visit = (node) => {
    if (node.end <= tsxStart) return;
    const union = ts.isUnionTypeNode(node);
    if (union || ts.isIntersectionTypeNode(node)) {
      const members = size(node);
      const limit = union ? MAX_UNION_MEMBERS : MAX_INTERSECTION_MEMBERS;
      if (members > limit) {
        errors.push(format(sourceFile, node.getStart(sourceFile), union
          ? `this union has ${members} members (more than ${limit}): use a wider type, such as string or number`
          : `this intersection expands to ${members} members (an intersection of unions is their cross product; `
            + `more than ${limit}): intersect object types, not unions`));
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return errors;
}

// How deep the syntax tree of a component may nest. The checker's work on nested literals grows
// faster than their size (2,000 nested array literals took it past 10 s); a component drawn with
// JSX stays under ~60 levels.
const MAX_DEPTH = 200;

/** Returns the type-level and nesting errors of the tsx part (nodes ending after ``tsxStart``), checker-free. */
function typeLevelErrors(sourceFile, tsxStart, format) {
  const errors = [];
  let tooDeep = null;
  const visit = (node, depth) => {
    if (node.end <= tsxStart) return;
    if (depth > MAX_DEPTH) {
      tooDeep = tooDeep || node;
      return;
    }
    const error = typeLevelError(node);
    if (error) errors.push(format(sourceFile, node.getStart(sourceFile), error));
    else ts.forEachChild(node, (child) => visit(child, depth + 1));
  };
  ts.forEachChild(sourceFile, (child) => visit(child, 1));
  if (tooDeep) {
    errors.push(format(sourceFile, tooDeep.getStart(sourceFile),
      `the component nests more than ${MAX_DEPTH} levels deep; flatten its expressions and types`));
  }
  return errors;
}

/** Returns the script `program` emits for its one source file: the source that was checked, under its options. */
function emitted(program, sourceFile) {
  let js = null;
  const result = program.emit(sourceFile, (fileName, text) => {
    if (fileName.endsWith(".js")) js = text;
  });
  if (result.emitSkipped || js === null) throw new Error("the compiler emitted no JavaScript");
  return js;
}

function rejected(errors) {
  return { ok: false, errors: [...new Set(errors)].slice(0, MAX_ERRORS), js: null };
}

/** Returns {ok, errors, js} for one parsed request; throws only for internal faults. */
function checkParsed(input) {
  const prefix = input.props_ts.endsWith("\n") || input.props_ts === "" ? input.props_ts : `${input.props_ts}\n`;
  const offsetLines = prefix === "" ? 0 : prefix.split("\n").length - 1;
  const source = prefix + input.tsx;
  const format = makeFormatter(offsetLines);
  const directives = directiveErrors(input.tsx);
  if (directives.length) return rejected(directives);
  // Before any program exists: building one would already read the files a directive names.
  const references = referenceErrors(input.tsx, source, format);
  if (references.length) return rejected(references);
  const program = ts.createProgram({ rootNames: [FILE, ...TYPING_FILES], options: OPTIONS, host: makeHost(source) });
  const sourceFile = program.getSourceFile(FILE);
  const syntax = program.getSyntacticDiagnostics(sourceFile).map((d) => diagnosticText(d, format));
  if (syntax.length) return rejected(syntax);
  const typeLevel = typeLevelErrors(sourceFile, prefix.length, format);
  if (typeLevel.length) return rejected(typeLevel);
  const typeSize = typeSizeErrors(sourceFile, prefix.length, format);
  if (typeSize.length) return rejected(typeSize);
  const checker = program.getTypeChecker();
  const errors = [
    ...ruleErrors(sourceFile, prefix.length, checker, format),
    ...program.getGlobalDiagnostics().map((d) => diagnosticText(d, format)),
    ...program.getSemanticDiagnostics(sourceFile).map((d) => diagnosticText(d, format)),
  ];
  if (errors.length) return rejected(errors);
  return { ok: true, errors: [], js: emitted(program, sourceFile) };
}

/** Returns {ok, errors, js} for one request {props_ts, tsx}; never throws for bad input (only for internal faults). */
export function check(input) {
  try {
    parseInput(input);
  } catch (error) {
    return { ok: false, errors: [error.message], js: null };
  }
  try {
    return checkParsed(input);
  } catch (error) {
    // The parser and checker recurse per level of nesting: a source nested deeply enough overflows the stack.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      return { ok: false, errors: ["The component is nested too deeply to check; flatten its expressions and types."], js: null };
    }
    if (error instanceof RangeError) { // "Invalid string length", "Invalid array length": built too large
      return { ok: false, errors: ["The component's types are too large to check; simplify them."], js: null };
    }
    throw error;
  }
}

function main() {
  let input;
  try {
    input = JSON.parse(fs.readFileSync(0, "utf8"));
  } catch {
    process.stdout.write(JSON.stringify({ ok: false, errors: ["The checker's input is not JSON."], js: null }));
    return;
  }
  process.stdout.write(JSON.stringify(check(input)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();

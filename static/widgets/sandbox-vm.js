// The React the component sees: a small hooks renderer that runs INSIDE the QuickJS VM
// (static/widgets/sandbox-worker.js passes this function's source to the VM). Its output is a plain
// element tree as a JSON string; it never sees a DOM, a window or a network. Everything here is on
// the component's side of the boundary: the component can tamper with it and only breaks itself.
// The frame (static/widgets/sandbox.js) applies the tree through its own allowlist.
//
// Tree format: a node is a string (text) or {t: tag, a: {attr: value}, s: {style}, h: {event: id},
// c: [nodes]}. Event handlers become numbers; __bridge.event(id, json) calls one with plain data.
/* exported sandboxVmRuntime */
// eslint-disable-next-line no-unused-vars
function sandboxVmRuntime() {
  "use strict";
  const MAX_NODES = 4000;
  const MAX_DEPTH = 80;
  const MAX_RERENDERS = 50;
  const EVENT_PROPS = {
    onClick: "click", onDoubleClick: "dblclick", onMouseEnter: "mouseenter", onMouseLeave: "mouseleave",
    onMouseOver: "mouseover", onMouseOut: "mouseout", onMouseMove: "mousemove", onMouseDown: "mousedown",
    onMouseUp: "mouseup", onPointerEnter: "mouseenter", onPointerLeave: "mouseleave",
  };
  const Fragment = { $$fragment: true };
  const instances = new Map(); // path -> {type, hooks}
  let contexts = []; // [{context, value}] while rendering
  let current = null;
  let hookIndex = 0;
  let visited = null;
  let handlers = [];
  let effects = [];
  let dirty = false;
  let rendering = false;
  let root = null;
  let nodes = 0;
  const typeIds = new Map();

  function createElement(type, config, ...children) {
    const props = {};
    let key = null;
    if (config) {
      for (const name of Object.keys(config)) {
        if (name === "key") key = config.key == null ? null : String(config.key);
        else if (name !== "ref") put(props, name, config[name]);
      }
    }
    if (children.length === 1) props.children = children[0];
    else if (children.length > 1) props.children = children;
    return { $$element: true, type, key, props };
  }

  /** Sets an own property even where a frozen prototype has one of that name ("constructor"). */
  function put(target, name, value) {
    Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
  }

  function typeId(type) {
    if (!typeIds.has(type)) typeIds.set(type, typeIds.size + 1);
    return typeIds.get(type);
  }

  function depsChanged(old, next) {
    if (!old || !next || old.length !== next.length) return true;
    return next.some((value, i) => !Object.is(value, old[i]));
  }

  function hook(init) {
    if (!current) throw new Error("Hooks can only be called inside a component's body.");
    const hooks = current.hooks;
    if (hookIndex >= hooks.length) hooks.push(init());
    return hooks[hookIndex++];
  }

  function useReducer(reducer, initial, init) {
    const slot = hook(() => {
      const state = { value: init ? init(initial) : initial };
      state.dispatch = (action) => {
        const next = reducer(state.value, action);
        if (!Object.is(next, state.value)) {
          state.value = next;
          dirty = true;
        }
      };
      return state;
    });
    return [slot.value, slot.dispatch];
  }

  function useState(initial) {
    return useReducer((old, action) => (typeof action === "function" ? action(old) : action),
      undefined, () => (typeof initial === "function" ? initial() : initial));
  }

  function effectHook(fn, deps) {
    const slot = hook(() => ({ deps: undefined, cleanup: null, first: true }));
    if (slot.first || deps === undefined || depsChanged(slot.deps, deps)) {
      slot.first = false;
      slot.deps = deps;
      effects.push(() => {
        if (typeof slot.cleanup === "function") slot.cleanup();
        const cleanup = fn();
        slot.cleanup = typeof cleanup === "function" ? cleanup : null;
      });
    }
  }

  function useMemo(fn, deps) {
    const slot = hook(() => ({ deps: undefined, value: undefined, first: true }));
    if (slot.first || deps === undefined || depsChanged(slot.deps, deps)) {
      slot.first = false;
      slot.deps = deps;
      slot.value = fn();
    }
    return slot.value;
  }

  function createContext(defaultValue) {
    const context = { defaultValue };
    context.Provider = { $$provider: context };
    context.Consumer = (props) => props.children(useContext(context));
    return context;
  }

  function useContext(context) {
    for (let i = contexts.length - 1; i >= 0; i--) if (contexts[i].context === context) return contexts[i].value;
    return context.defaultValue;
  }

  let ids = 0;
  const React = {
    createElement, Fragment, createContext, useContext, useReducer, useState, useMemo,
    useEffect: effectHook, useLayoutEffect: effectHook, useInsertionEffect: effectHook,
    useCallback: (fn, deps) => useMemo(() => fn, deps),
    useRef: (initial) => hook(() => ({ current: initial })),
    useId: () => hook(() => `w-${++ids}`),
    useImperativeHandle: () => undefined,
    useDebugValue: () => undefined,
    useTransition: () => [false, (fn) => fn()],
    useDeferredValue: (value) => value,
    useSyncExternalStore: (subscribe, get) => get(),
    startTransition: (fn) => fn(),
    memo: (component) => component,
    forwardRef: (render) => (props) => render(props, null),
    isValidElement: (value) => Boolean(value && value.$$element),
    cloneElement: (element, config, ...children) => createElement(element.type,
      Object.assign({ key: element.key }, element.props, config), ...(children.length ? children : [])),
    Children: {
      toArray: (children) => flatten(children),
      map: (children, fn) => flatten(children).map(fn),
      forEach: (children, fn) => flatten(children).forEach(fn),
      count: (children) => flatten(children).length,
      only: (children) => children,
    },
    Component: class Component {
      constructor() {
        throw new Error("Class components are not supported: write Widget as a function.");
      }
    },
    version: "18.3.1-sandbox",
  };
  React.PureComponent = React.Component;
  React.StrictMode = Fragment;

  function flatten(children, out = []) {
    if (Array.isArray(children)) for (const child of children) flatten(child, out);
    else if (children !== null && children !== undefined && typeof children !== "boolean") out.push(children);
    return out;
  }

  function renderChildren(children, path, out, depth) {
    if (Array.isArray(children)) {
      children.forEach((child, i) => renderNode(child, `${path}.${child && child.key != null ? "k" + child.key : i}`,
        out, depth));
    } else {
      renderNode(children, `${path}.0`, out, depth);
    }
  }

  function renderNode(node, path, out, depth) {
    if (node === null || node === undefined || typeof node === "boolean") return;
    if (depth > MAX_DEPTH) throw new Error(`The component nested elements more than ${MAX_DEPTH} deep.`);
    if (typeof node === "string" || typeof node === "number" || typeof node === "bigint") {
      out.push(String(node));
      return;
    }
    if (Array.isArray(node)) {
      renderChildren(node, path, out, depth);
      return;
    }
    if (!node.$$element) throw new Error("Objects are not valid as a child: render strings, numbers or elements.");
    const type = node.type;
    const props = node.props || {};
    if (type === Fragment) {
      renderChildren(props.children, path, out, depth + 1);
    } else if (type && type.$$provider) {
      contexts.push({ context: type.$$provider, value: props.value });
      renderChildren(props.children, path, out, depth + 1);
      contexts.pop();
    } else if (typeof type === "function") {
      const where = `${path}:${typeId(type)}`;
      let instance = instances.get(where);
      if (!instance || instance.type !== type) {
        instance = { type, hooks: [] };
        instances.set(where, instance);
      }
      visited.add(where);
      const saved = [current, hookIndex];
      current = instance;
      hookIndex = 0;
      let result;
      try {
        result = type(props);
      } finally {
        [current, hookIndex] = saved;
      }
      renderNode(result, where, out, depth + 1);
    } else if (typeof type === "string") {
      if (++nodes > MAX_NODES) throw new Error(`The component rendered more than ${MAX_NODES} elements.`);
      const element = { t: type, a: {}, s: null, h: null, c: [] };
      if (node.key !== null) element.a["data-key"] = node.key; // the event's target key
      for (const name of Object.keys(props)) {
        const value = props[name];
        if (name === "children") continue;
        if (Object.prototype.hasOwnProperty.call(EVENT_PROPS, name)) {
          if (typeof value === "function") {
            element.h = element.h || {};
            element.h[EVENT_PROPS[name]] = handlers.push(value) - 1;
          }
        } else if (name === "style") {
          if (value && typeof value === "object") {
            element.s = {};
            for (const property of Object.keys(value)) {
              const v = value[property];
              if (typeof v === "string" || typeof v === "number") put(element.s, property, v);
            }
          }
        } else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
          put(element.a, name, value);
        }
      }
      renderChildren(props.children, `${path}:${type}`, element.c, depth + 1);
      out.push(element);
    } else {
      throw new Error("Element type is invalid: expected a tag name or a function.");
    }
  }

  function commit() {
    for (let round = 0; ; round++) {
      if (round > MAX_RERENDERS) throw new Error("Too many re-renders: the component keeps changing its state.");
      dirty = false;
      visited = new Set();
      handlers = [];
      effects = [];
      contexts = [];
      nodes = 0;
      const out = [];
      rendering = true;
      try {
        renderNode(createElement(root.Widget, root.props), "r", out, 0);
      } finally {
        rendering = false;
      }
      for (const [where, instance] of instances) {
        if (visited.has(where)) continue;
        instances.delete(where);
        for (const slot of instance.hooks) if (slot && typeof slot.cleanup === "function") slot.cleanup();
      }
      const pending = effects;
      effects = [];
      for (const run of pending) run();
      if (!dirty) return JSON.stringify(out);
    }
  }

  function plainEvent(data) {
    const event = Object.assign({}, data);
    event.target = { key: data.key, value: data.value };
    event.currentTarget = event.target;
    event.preventDefault = () => undefined;
    event.stopPropagation = () => undefined;
    event.persist = () => undefined;
    return event;
  }

  const bridge = {
    start(Widget, propsJson) {
      if (typeof Widget !== "function") throw new Error("The component does not define a function named Widget.");
      root = { Widget, props: JSON.parse(propsJson) };
      return commit();
    },
    event(id, dataJson) {
      const handler = handlers[id];
      if (typeof handler === "function" && !rendering) handler(plainEvent(JSON.parse(dataJson)));
      return dirty ? commit() : "";
    },
    flush() {
      return dirty ? commit() : "";
    },
  };

  // Frozen before the component runs: what it changes on Object.prototype, Array.prototype, JSON, ...
  // cannot change how this renderer builds or serializes the tree (it would only break the component itself).
  function freeze(value, seen) {
    if ((typeof value !== "object" && typeof value !== "function") || value === null || seen.has(value)) return;
    seen.add(value);
    Object.freeze(value);
    for (const name of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, name);
      if (descriptor && "value" in descriptor) freeze(descriptor.value, seen);
      if (descriptor && descriptor.get) freeze(descriptor.get, seen);
      if (descriptor && descriptor.set) freeze(descriptor.set, seen);
    }
    freeze(Object.getPrototypeOf(value), seen);
  }
  const seen = new Set([globalThis]); // the global object stays open: the component defines Widget on it
  for (const name of Reflect.ownKeys(globalThis)) {
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
    if (descriptor && "value" in descriptor) freeze(descriptor.value, seen);
  }
  freeze(React, seen);
  freeze(bridge, seen);
  freeze(Object.getPrototypeOf(function* () {}), seen);
  freeze(Object.getPrototypeOf(async function () {}), seen);
  Object.defineProperty(globalThis, "React", { value: React, writable: false, configurable: false });
  Object.defineProperty(globalThis, "__bridge", { value: bridge, writable: false, configurable: false });
}

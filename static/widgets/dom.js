// DOM helpers for the dashboard's modules. Server text only ever reaches the page through textContent.

const SVG_NS = "http://www.w3.org/2000/svg";

/** Returns a new element: ``text`` sets textContent, ``onclick`` adds a listener, the rest are attributes
 * (false, null and undefined are left out, true is an empty attribute). */
export function el(tag, props = {}, ...children) {
  const node = props.svg ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "svg" || value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "onclick") node.addEventListener("click", value);
    else node.setAttribute(key === "className" ? "class" : key, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

/** Returns a new SVG element, as ``el``. */
export const svg = (tag, props = {}, ...children) => el(tag, { svg: true, ...props }, ...children);

/** Shows ``message`` in ``box``, or hides the box when the message is empty. */
export function showError(box, message) {
  if (!box) return;
  box.textContent = message;
  box.hidden = !message;
}

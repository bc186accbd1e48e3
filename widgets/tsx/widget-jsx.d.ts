// The React and JSX a custom widget is type-checked against, instead of @types/react and lib.dom.d.ts: exactly
// what the sandbox renders. Elements, attributes, styles and events are those the frame's allowlist applies
// (static/widgets/sandbox.js); hooks are those of the VM's renderer (static/widgets/sandbox-vm.js); an event is
// the plain data the Worker passes (static/widgets/sandbox-worker.js). What is not declared here, the renderer
// would drop, so the checker refuses it. Keep the three in step.

declare namespace React {
  type Key = string | number;
  interface ReactElement {
    readonly type: unknown;
    readonly props: unknown;
    readonly key: string | null;
  }
  type ReactNode = ReactElement | string | number | bigint | boolean | null | undefined | readonly ReactNode[];
  type FC<P = {}> = (props: P) => ReactNode;
  type FunctionComponent<P = {}> = FC<P>;
  type PropsWithChildren<P = {}> = P & { children?: ReactNode };

  type SetStateAction<S> = S | ((previous: S) => S);
  type Dispatch<A> = (value: A) => void;
  type DependencyList = readonly unknown[];
  type EffectCallback = () => void | (() => void);
  interface MutableRefObject<T> { current: T }
  interface Context<T> {
    Provider: (props: { value: T; children?: ReactNode }) => ReactElement;
    Consumer: (props: { children: (value: T) => ReactNode }) => ReactElement;
  }

  function useState<S>(initial: S | (() => S)): [S, Dispatch<SetStateAction<S>>];
  function useState<S = undefined>(): [S | undefined, Dispatch<SetStateAction<S | undefined>>];
  function useReducer<S, A>(reducer: (state: S, action: A) => S, initial: S): [S, Dispatch<A>];
  function useEffect(effect: EffectCallback, deps?: DependencyList): void;
  function useLayoutEffect(effect: EffectCallback, deps?: DependencyList): void;
  function useMemo<T>(factory: () => T, deps: DependencyList): T;
  function useCallback<T extends (...args: never[]) => unknown>(callback: T, deps: DependencyList): T;
  function useRef<T>(initial: T): MutableRefObject<T>;
  function useRef<T = undefined>(): MutableRefObject<T | undefined>;
  function useId(): string;
  function useContext<T>(context: Context<T>): T;
  function createContext<T>(defaultValue: T): Context<T>;
  function memo<P>(component: (props: P) => ReactNode): (props: P) => ReactNode;
  function isValidElement(value: unknown): value is ReactElement;
  const Fragment: (props: { children?: ReactNode }) => ReactElement;
  function createElement<P>(type: string | ((props: P) => ReactNode), props?: P | null,
    ...children: ReactNode[]): ReactElement;
  const Children: {
    toArray(children: ReactNode): ReactNode[];
    map<T>(children: ReactNode, fn: (child: ReactNode, index: number) => T): T[];
    forEach(children: ReactNode, fn: (child: ReactNode, index: number) => void): void;
    count(children: ReactNode): number;
  };

  /** What a handler receives: plain data, never a DOM event or element. */
  interface WidgetMouseEvent {
    readonly type: "click" | "dblclick" | "mouseenter" | "mouseleave" | "mouseover" | "mouseout" | "mousemove"
      | "mousedown" | "mouseup";
    /** The React key of the element the handler is on (null without one). */
    readonly key: string | null;
    readonly target: { readonly key: string | null; readonly value: null };
    readonly currentTarget: { readonly key: string | null; readonly value: null };
    /** The pointer's position inside that element, in CSS pixels. */
    readonly x: number;
    readonly y: number;
    readonly button: number;
    readonly shiftKey: boolean;
    readonly altKey: boolean;
    readonly ctrlKey: boolean;
    readonly metaKey: boolean;
    preventDefault(): void;
    stopPropagation(): void;
  }
  type MouseEvent<_Element = unknown> = WidgetMouseEvent;
  type MouseEventHandler<_Element = unknown> = (event: WidgetMouseEvent) => void;

  /** The styles the sandbox applies (numbers get "px" but for unitless ones); CSS functions are limited to
   * colours, calc/min/max/clamp, gradients, transforms and timing functions: no url(), image-set(), var(). */
  interface CSSProperties {
    color?: string; background?: string; backgroundColor?: string;
    border?: string | number; borderTop?: string | number; borderRight?: string | number;
    borderBottom?: string | number; borderLeft?: string | number; borderColor?: string; borderStyle?: string;
    borderWidth?: string | number; borderRadius?: string | number; borderTopColor?: string;
    borderBottomColor?: string; borderLeftColor?: string; borderRightColor?: string;
    borderTopWidth?: string | number; borderBottomWidth?: string | number; borderLeftWidth?: string | number;
    borderRightWidth?: string | number; borderTopLeftRadius?: string | number;
    borderTopRightRadius?: string | number; borderBottomLeftRadius?: string | number;
    borderBottomRightRadius?: string | number; borderCollapse?: string; borderSpacing?: string | number;
    margin?: string | number; marginTop?: string | number; marginRight?: string | number;
    marginBottom?: string | number; marginLeft?: string | number;
    padding?: string | number; paddingTop?: string | number; paddingRight?: string | number;
    paddingBottom?: string | number; paddingLeft?: string | number;
    width?: string | number; height?: string | number; minWidth?: string | number; minHeight?: string | number;
    maxWidth?: string | number; maxHeight?: string | number;
    display?: string; flex?: string | number; flexGrow?: number; flexShrink?: number; flexBasis?: string | number;
    flexDirection?: string; flexWrap?: string; flexFlow?: string; gap?: string | number; rowGap?: string | number;
    columnGap?: string | number; alignItems?: string; alignSelf?: string; alignContent?: string;
    justifyContent?: string; justifyItems?: string; justifySelf?: string; placeItems?: string;
    placeContent?: string; order?: number;
    grid?: string; gridTemplateColumns?: string; gridTemplateRows?: string; gridTemplateAreas?: string;
    gridColumn?: string | number; gridRow?: string | number; gridArea?: string; gridAutoFlow?: string;
    gridAutoColumns?: string; gridAutoRows?: string;
    position?: string; top?: string | number; right?: string | number; bottom?: string | number;
    left?: string | number; inset?: string | number; zIndex?: number;
    overflow?: string; overflowX?: string; overflowY?: string; textOverflow?: string; whiteSpace?: string;
    wordBreak?: string; overflowWrap?: string; wordWrap?: string; hyphens?: string;
    font?: string; fontFamily?: string; fontSize?: string | number; fontWeight?: string | number;
    fontStyle?: string; fontVariant?: string; fontVariantNumeric?: string; lineHeight?: string | number;
    letterSpacing?: string | number; textAlign?: string; textDecoration?: string; textTransform?: string;
    textIndent?: string | number; textShadow?: string; verticalAlign?: string | number; writingMode?: string;
    opacity?: string | number; boxShadow?: string; boxSizing?: string; transform?: string;
    transformOrigin?: string; transition?: string; transitionProperty?: string;
    transitionDuration?: string; transitionTimingFunction?: string; transitionDelay?: string;
    cursor?: string; visibility?: string; fill?: string; stroke?: string; strokeWidth?: string | number;
    tableLayout?: string; listStyleType?: string; listStylePosition?: string; userSelect?: string;
    pointerEvents?: string; aspectRatio?: string | number; outline?: string | number;
  }

  interface Handlers {
    onClick?: MouseEventHandler; onDoubleClick?: MouseEventHandler;
    onMouseEnter?: MouseEventHandler; onMouseLeave?: MouseEventHandler;
    onMouseOver?: MouseEventHandler; onMouseOut?: MouseEventHandler; onMouseMove?: MouseEventHandler;
    onMouseDown?: MouseEventHandler; onMouseUp?: MouseEventHandler;
    onPointerEnter?: MouseEventHandler; onPointerLeave?: MouseEventHandler;
  }
  /** Any element's: data-* and aria-* attributes are allowed too (JSX checks no hyphenated name). */
  interface Attributes extends Handlers {
    children?: ReactNode;
    key?: Key | null;
    className?: string;
    title?: string;
    role?: string;
    lang?: string;
    dir?: string;
    style?: CSSProperties;
  }
  interface CellAttributes extends Attributes { colSpan?: number; rowSpan?: number }
  interface TimeAttributes extends Attributes { dateTime?: string }
  type SvgValue = string | number;
  interface SvgAttributes extends Attributes {
    viewBox?: string; width?: SvgValue; height?: SvgValue; x?: SvgValue; y?: SvgValue; x1?: SvgValue;
    x2?: SvgValue; y1?: SvgValue; y2?: SvgValue; cx?: SvgValue; cy?: SvgValue; r?: SvgValue; rx?: SvgValue;
    ry?: SvgValue; d?: string; points?: string; fill?: string; stroke?: string; opacity?: SvgValue;
    transform?: string; preserveAspectRatio?: string; dx?: SvgValue; dy?: SvgValue; fillOpacity?: SvgValue;
    fillRule?: string; clipRule?: string; strokeWidth?: SvgValue; strokeDasharray?: SvgValue;
    strokeDashoffset?: SvgValue; strokeLinecap?: string; strokeLinejoin?: string; strokeOpacity?: SvgValue;
    textAnchor?: string; dominantBaseline?: string; fontSize?: SvgValue; fontFamily?: string;
    fontWeight?: SvgValue; vectorEffect?: string; shapeRendering?: string; pointerEvents?: string;
  }
}

declare namespace JSX {
  type Element = React.ReactElement;
  type ElementType = string | ((props: any) => React.ReactNode);
  interface ElementChildrenAttribute { children: {} }
  interface IntrinsicAttributes { key?: React.Key | null }
  // No element that navigates, loads, embeds, runs script or takes focus (no a, img, iframe, form controls,
  // button, link, meta, style, use, image, foreignObject, set/animate, ...).
  interface IntrinsicElements {
    div: React.Attributes; span: React.Attributes; p: React.Attributes;
    h1: React.Attributes; h2: React.Attributes; h3: React.Attributes; h4: React.Attributes;
    h5: React.Attributes; h6: React.Attributes;
    ul: React.Attributes; ol: React.Attributes; li: React.Attributes;
    dl: React.Attributes; dt: React.Attributes; dd: React.Attributes;
    table: React.Attributes; thead: React.Attributes; tbody: React.Attributes; tfoot: React.Attributes;
    tr: React.Attributes; th: React.CellAttributes; td: React.CellAttributes; caption: React.Attributes;
    colgroup: React.Attributes; col: React.Attributes;
    strong: React.Attributes; em: React.Attributes; b: React.Attributes; i: React.Attributes;
    u: React.Attributes; s: React.Attributes; small: React.Attributes; sub: React.Attributes;
    sup: React.Attributes; br: React.Attributes; hr: React.Attributes; code: React.Attributes;
    pre: React.Attributes; blockquote: React.Attributes; figure: React.Attributes;
    figcaption: React.Attributes; section: React.Attributes; article: React.Attributes;
    header: React.Attributes; footer: React.Attributes; abbr: React.Attributes; mark: React.Attributes;
    time: React.TimeAttributes;
    svg: React.SvgAttributes; g: React.SvgAttributes; rect: React.SvgAttributes; circle: React.SvgAttributes;
    ellipse: React.SvgAttributes; line: React.SvgAttributes; polyline: React.SvgAttributes;
    polygon: React.SvgAttributes; path: React.SvgAttributes; text: React.SvgAttributes;
    tspan: React.SvgAttributes; title: React.Attributes; desc: React.Attributes;
  }
}

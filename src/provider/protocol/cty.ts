/**
 * cty values on the wire, per Terraform's docs/plugin-protocol/object-wire-format.md: msgpack
 * (both directions) and JSON (decoding: DynamicValue.json and UpgradeResourceState's
 * RawState.json). Both are driven by the schema's implied type: an object always carries every
 * attribute of its type (null where absent).
 *
 * - null: msgpack nil. UNKNOWN: msgpack extension; every extension code decodes as unknown
 *   (code 12 carries refinements, which are ignored); we encode unrefined unknowns (code 0).
 * - number: msgpack int, float, or a decimal string (beyond float64); int64s are read exactly
 *   and made JS numbers (precision beyond 2^53 is lost, as is a longer decimal string's).
 * - dynamic: msgpack [bin(JSON type), value] / JSON {"type": …, "value": …}.
 */
import { ExtData, decode as msgpackDecode, encode as msgpackEncode } from "@msgpack/msgpack";
import type { Block, CtyType, NestedAttributes, NestedBlock, Attribute, Value } from "./types.js";
import { UNKNOWN } from "./types.js";

type Path = readonly (string | number)[];

/** The error of a value that does not fit its type; names where (`domain["web-1"].memory`). */
export class CtyError extends Error {
  constructor(readonly path: Path, message: string) {
    super(`${formatPath(path)}: ${message}`);
    this.name = "CtyError";
  }
}

function formatPath(path: Path): string {
  if (path.length === 0) return "(root)";
  let out = "";
  for (const step of path) {
    if (typeof step === "number") out += `[${step}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(step)) out += out.length === 0 ? step : `.${step}`;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out;
}

/** The runtime type of values of `dynamic` attributes that came from Terraform (arrays, objects). */
const dynamicTypes = new WeakMap<object, CtyType>();

/** The type a block's values have (object of attributes and nested block types). */
export function blockType(block: Block): CtyType {
  const attrs: Record<string, CtyType> = {};
  for (const [name, attr] of Object.entries(block.attributes)) attrs[name] = attributeType(attr, name);
  for (const [name, nb] of Object.entries(block.blocks ?? {})) {
    if (name in attrs) throw new Error(`schema: block type "${name}" has the name of an attribute`);
    attrs[name] = nestedBlockType(nb);
  }
  return ["object", attrs];
}

export function attributeType(attr: Attribute, name = "?"): CtyType {
  if (attr.type !== undefined && attr.nested !== undefined) {
    throw new Error(`schema: attribute "${name}" has both a type and nested attributes`);
  }
  if (attr.type !== undefined) return attr.type;
  if (attr.nested !== undefined) return nestedAttributesType(attr.nested);
  throw new Error(`schema: attribute "${name}" has neither a type nor nested attributes`);
}

function nestedAttributesType(nested: NestedAttributes): CtyType {
  const obj = blockType({ attributes: nested.attributes });
  return nested.nesting === "single" ? obj : [nested.nesting, obj];
}

function nestedBlockType(nb: NestedBlock): CtyType {
  const obj = blockType(nb.block);
  return nb.nesting === "single" || nb.nesting === "group" ? obj : [nb.nesting, obj];
}

/** Terraform's JSON type constraint of `type` (what Schema.Attribute.type carries). */
export function typeJson(type: CtyType): string {
  return JSON.stringify(type);
}

/** Reads a JSON type constraint (as found in a dynamic value). */
export function parseType(raw: unknown, path: Path = []): CtyType {
  if (raw === "string" || raw === "number" || raw === "bool" || raw === "dynamic") return raw;
  if (Array.isArray(raw) && raw.length >= 2) {
    const [kind, arg] = raw as [unknown, unknown];
    if (kind === "list" || kind === "set" || kind === "map") return [kind, parseType(arg, path)];
    if (kind === "tuple" && Array.isArray(arg)) return ["tuple", arg.map((t) => parseType(t, path))];
    if (kind === "object" && isPlainObject(arg)) {
      const attrs: Record<string, CtyType> = {};
      for (const [k, t] of Object.entries(arg)) attrs[k] = parseType(t, path);
      return ["object", attrs];
    }
  }
  throw new CtyError(path, `not a type constraint: ${JSON.stringify(raw)}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof ExtData);
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof Uint8Array) return "binary";
  return typeof v;
}

function toNumber(raw: unknown, path: Path): number {
  if (typeof raw === "number") return raw;
  if (typeof raw === "bigint") return Number(raw);
  if (typeof raw === "string") {
    const n = Number(raw);
    if (raw.trim() !== "" && !Number.isNaN(n)) return n;
  }
  throw new CtyError(path, `expected a number, got ${kindOf(raw)}`);
}

// ---------------------------------------------------------------------------------------------
// msgpack → Value

/** Decodes DynamicValue.msgpack with the value's type. */
export function decodeMsgpack(type: CtyType, bytes: Uint8Array): Value {
  if (bytes.length === 0) return null;
  const raw = msgpackDecode(bytes, { useBigInt64: true });
  return fromMsgpack(type, raw, []);
}

function fromMsgpack(type: CtyType, raw: unknown, path: Path): Value {
  if (raw instanceof ExtData) return UNKNOWN;
  if (raw === null || raw === undefined) return null;
  if (type === "string") {
    if (typeof raw !== "string") throw new CtyError(path, `expected a string, got ${kindOf(raw)}`);
    return raw;
  }
  if (type === "number") return toNumber(raw, path);
  if (type === "bool") {
    if (typeof raw !== "boolean") throw new CtyError(path, `expected a bool, got ${kindOf(raw)}`);
    return raw;
  }
  if (type === "dynamic") {
    if (!Array.isArray(raw) || raw.length !== 2 || !(raw[0] instanceof Uint8Array || typeof raw[0] === "string")) {
      throw new CtyError(path, "expected a dynamic value [type, value]");
    }
    const tjson = typeof raw[0] === "string" ? raw[0] : Buffer.from(raw[0]).toString("utf8");
    const inner = parseType(JSON.parse(tjson) as unknown, path);
    const v = fromMsgpack(inner, raw[1], path);
    if (typeof v === "object" && v !== null) dynamicTypes.set(v, inner);
    return v;
  }
  const [kind, arg] = type;
  switch (kind) {
    case "list":
    case "set": {
      if (!Array.isArray(raw)) throw new CtyError(path, `expected an array for a ${kind}, got ${kindOf(raw)}`);
      return raw.map((el, i) => fromMsgpack(arg, el, [...path, i]));
    }
    case "tuple": {
      if (!Array.isArray(raw) || raw.length !== arg.length) throw new CtyError(path, `expected a tuple of ${arg.length}`);
      return raw.map((el, i) => fromMsgpack(arg[i]!, el, [...path, i]));
    }
    case "map": {
      if (!isPlainObject(raw)) throw new CtyError(path, `expected a map, got ${kindOf(raw)}`);
      const out: Record<string, Value> = {};
      for (const [k, el] of Object.entries(raw)) out[k] = fromMsgpack(arg, el, [...path, k]);
      return out;
    }
    case "object": {
      if (!isPlainObject(raw)) throw new CtyError(path, `expected an object, got ${kindOf(raw)}`);
      const out: Record<string, Value> = {};
      for (const [k, t] of Object.entries(arg)) out[k] = fromMsgpack(t, raw[k] ?? null, [...path, k]);
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// JSON → Value

/** Decodes DynamicValue.json / RawState.json with the value's type (absent attributes null, extra ones dropped). */
export function decodeJson(type: CtyType, bytes: Uint8Array | string): Value {
  const text = typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8");
  if (text.trim() === "") return null;
  return fromJson(type, JSON.parse(text) as unknown, []);
}

/** Reads an already parsed JSON value with `type` (absent attributes null, extra ones dropped). */
export function fromJson(type: CtyType, raw: unknown, path: Path = []): Value {
  if (raw === null || raw === undefined) return null;
  if (type === "string") {
    if (typeof raw !== "string") throw new CtyError(path, `expected a string, got ${kindOf(raw)}`);
    return raw;
  }
  if (type === "number") return toNumber(raw, path);
  if (type === "bool") {
    if (typeof raw !== "boolean") throw new CtyError(path, `expected a bool, got ${kindOf(raw)}`);
    return raw;
  }
  if (type === "dynamic") {
    if (!isPlainObject(raw) || !("type" in raw)) throw new CtyError(path, 'expected a dynamic value {"type", "value"}');
    const inner = parseType(raw.type, path);
    const v = fromJson(inner, raw.value, path);
    if (typeof v === "object" && v !== null) dynamicTypes.set(v, inner);
    return v;
  }
  const [kind, arg] = type;
  switch (kind) {
    case "list":
    case "set":
      if (!Array.isArray(raw)) throw new CtyError(path, `expected an array for a ${kind}, got ${kindOf(raw)}`);
      return raw.map((el, i) => fromJson(arg, el, [...path, i]));
    case "tuple":
      if (!Array.isArray(raw) || raw.length !== arg.length) throw new CtyError(path, `expected a tuple of ${arg.length}`);
      return raw.map((el, i) => fromJson(arg[i]!, el, [...path, i]));
    case "map": {
      if (!isPlainObject(raw)) throw new CtyError(path, `expected a map, got ${kindOf(raw)}`);
      const out: Record<string, Value> = {};
      for (const [k, el] of Object.entries(raw)) out[k] = fromJson(arg, el, [...path, k]);
      return out;
    }
    case "object": {
      if (!isPlainObject(raw)) throw new CtyError(path, `expected an object, got ${kindOf(raw)}`);
      const out: Record<string, Value> = {};
      for (const [k, t] of Object.entries(arg)) out[k] = fromJson(t, raw[k] ?? null, [...path, k]);
      return out;
    }
  }
}

/**
 * Reads stored state JSON (already parsed, e.g. the `raw` an upgradeResourceState handler gets,
 * after its own renames) with a schema: absent attributes null, extra ones dropped, and the
 * {"type", "value"} wrappers of dynamic attributes unwrapped.
 */
export function stateFromJson(schema: Block, raw: unknown): Value {
  return fromJson(blockType(schema), raw, []);
}

// ---------------------------------------------------------------------------------------------
// Value → msgpack

const UNKNOWN_EXT = new ExtData(0, new Uint8Array(0));

/** Encodes `value` as DynamicValue.msgpack of `type`. Throws CtyError on a value that does not fit. */
export function encodeMsgpack(type: CtyType, value: Value): Uint8Array {
  return msgpackEncode(toMsgpack(type, value, []), { ignoreUndefined: false });
}

/** The type a fresh value of a `dynamic` attribute gets (or the one it came with). */
export function inferType(value: Value, path: Path = []): CtyType {
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "bool";
  if (value === null || value === UNKNOWN) return "dynamic";
  const known = dynamicTypes.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) return ["tuple", value.map((v, i) => inferType(v, [...path, i]))];
  const attrs: Record<string, CtyType> = {};
  for (const [k, v] of Object.entries(value)) attrs[k] = inferType(v, [...path, k]);
  return ["object", attrs];
}

function toMsgpack(type: CtyType, value: Value | undefined, path: Path): unknown {
  if (value === UNKNOWN) return UNKNOWN_EXT;
  if (value === null || value === undefined) return null;
  if (type === "string") {
    if (typeof value !== "string") throw new CtyError(path, `expected a string, got ${kindOf(value)}`);
    return value;
  }
  if (type === "number") {
    if (typeof value !== "number" || !Number.isFinite(value)) throw new CtyError(path, `expected a finite number, got ${kindOf(value)}`);
    return value;
  }
  if (type === "bool") {
    if (typeof value !== "boolean") throw new CtyError(path, `expected a bool, got ${kindOf(value)}`);
    return value;
  }
  if (type === "dynamic") {
    const inner = inferType(value, path);
    return [Buffer.from(typeJson(inner), "utf8"), toMsgpack(inner, value, path)];
  }
  const [kind, arg] = type;
  switch (kind) {
    case "list":
    case "set":
      if (!Array.isArray(value)) throw new CtyError(path, `expected an array for a ${kind}, got ${kindOf(value)}`);
      return value.map((el, i) => toMsgpack(arg, el, [...path, i]));
    case "tuple":
      if (!Array.isArray(value) || value.length !== arg.length) throw new CtyError(path, `expected a tuple of ${arg.length}`);
      return value.map((el, i) => toMsgpack(arg[i]!, el, [...path, i]));
    case "map": {
      if (!isPlainObject(value)) throw new CtyError(path, `expected an object for a map, got ${kindOf(value)}`);
      const out: Record<string, unknown> = {};
      for (const [k, el] of Object.entries(value)) out[k] = toMsgpack(arg, el, [...path, k]);
      return out;
    }
    case "object": {
      if (!isPlainObject(value)) throw new CtyError(path, `expected an object, got ${kindOf(value)}`);
      for (const k of Object.keys(value)) {
        if (!(k in arg) && value[k] !== undefined) throw new CtyError([...path, k], "no such attribute in the schema");
      }
      const out: Record<string, unknown> = {};
      for (const [k, t] of Object.entries(arg)) out[k] = toMsgpack(t, value[k], [...path, k]);
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Walking values

/** Whether `value` holds UNKNOWN anywhere. */
export function containsUnknown(value: Value): boolean {
  if (value === UNKNOWN) return true;
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(containsUnknown);
  return Object.values(value).some(containsUnknown);
}

/** `value` with every UNKNOWN made null (keeping a dynamic value's remembered type). */
export function unknownsToNull(value: Value): Value {
  if (value === UNKNOWN) return null;
  if (value === null || typeof value !== "object") return value;
  const out: Value = Array.isArray(value)
    ? value.map(unknownsToNull)
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unknownsToNull(v)]));
  const t = dynamicTypes.get(value);
  if (t !== undefined) dynamicTypes.set(out, t);
  return out;
}

/** Structural equality of two values (UNKNOWN equals only UNKNOWN). */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => valuesEqual(v, b[i]!));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => k in b && valuesEqual(a[k]!, b[k]!));
}

/**
 * Schemas: checked once at start, turned into their protocol messages, and the default plan
 * (computed attributes of new objects UNKNOWN) that follows from them.
 */
import { valuesEqual } from "./cty.js";
import type { Attribute, Block, NestedBlock, Schema, Value } from "./types.js";
import { UNKNOWN } from "./types.js";

const ATTRIBUTE_NESTING = { single: 1, list: 2, set: 3, map: 4 } as const;
const BLOCK_NESTING = { single: 1, list: 2, set: 3, map: 4, group: 5 } as const;

/** Throws on what Terraform would refuse later with a vaguer message. */
export function checkSchema(schema: Block, where: string): void {
  for (const [name, attr] of Object.entries(schema.attributes)) {
    const at = `${where}.${name}`;
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`schema ${at}: attribute names are lower-case identifiers`);
    if ((attr.type === undefined) === (attr.nested === undefined)) throw new Error(`schema ${at}: give exactly one of type and nested`);
    const modes = [attr.required === true, attr.optional === true, attr.computed === true];
    if (attr.required === true && (attr.optional === true || attr.computed === true)) {
      throw new Error(`schema ${at}: required excludes optional and computed`);
    }
    if (!modes.some(Boolean)) throw new Error(`schema ${at}: one of required, optional, computed must be set`);
    if (attr.nested !== undefined) checkSchema({ attributes: attr.nested.attributes }, at);
  }
  for (const [name, nb] of Object.entries(schema.blocks ?? {})) {
    if (name in schema.attributes) throw new Error(`schema ${where}.${name}: a block type and an attribute share the name`);
    checkSchema(nb.block, `${where}.${name}`);
  }
}

type Msg = Record<string, unknown>;

function attributeMessage(name: string, attr: Attribute): Msg {
  return {
    name,
    type: attr.type === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(attr.type), "utf8"),
    nested_type:
      attr.nested === undefined
        ? null
        : {
            attributes: Object.entries(attr.nested.attributes).map(([n, a]) => attributeMessage(n, a)),
            nesting: ATTRIBUTE_NESTING[attr.nested.nesting],
          },
    description: attr.description ?? "",
    required: attr.required === true,
    optional: attr.optional === true,
    computed: attr.computed === true,
    sensitive: attr.sensitive === true,
    deprecated: attr.deprecated === true,
  };
}

function blockMessage(block: Block, version: number): Msg {
  return {
    version,
    attributes: Object.entries(block.attributes).map(([n, a]) => attributeMessage(n, a)),
    block_types: Object.entries(block.blocks ?? {}).map(([n, nb]) => nestedBlockMessage(n, nb)),
    description: block.description ?? "",
    deprecated: block.deprecated === true,
  };
}

function nestedBlockMessage(typeName: string, nb: NestedBlock): Msg {
  return {
    type_name: typeName,
    block: blockMessage(nb.block, 0),
    nesting: BLOCK_NESTING[nb.nesting],
    min_items: nb.minItems ?? 0,
    max_items: nb.maxItems ?? 0,
  };
}

/** The tfplugin6.Schema message of `schema`. */
export function schemaMessage(schema: Schema): Msg {
  return { version: schema.version, block: blockMessage(schema, schema.version) };
}

// ---------------------------------------------------------------------------------------------
// The default plan

/**
 * Terraform's proposed new state, with every computed attribute that is null in an object
 * that is NEW (no prior object: a create, a new map key, a longer list, a set element unlike
 * any prior one) made UNKNOWN ("known after apply"). Computed attributes of objects that
 * existed keep the prior value Terraform already put into `proposed`. null when `proposed` is
 * (a destroy).
 */
export function defaultPlan(schema: Block, prior: Value, proposed: Value): Value {
  if (proposed === null || proposed === UNKNOWN) return proposed;
  return planObject(schema, isObject(prior) ? prior : null, proposed);
}

function isObject(v: Value): v is { [k: string]: Value } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function planObject(block: Block, prior: { [k: string]: Value } | null, proposed: Value): Value {
  if (!isObject(proposed)) return proposed;
  const out: { [k: string]: Value } = { ...proposed };
  for (const [name, attr] of Object.entries(block.attributes)) {
    out[name] = planAttribute(attr, prior === null ? null : (prior[name] ?? null), proposed[name] ?? null, prior === null);
  }
  for (const [name, nb] of Object.entries(block.blocks ?? {})) {
    out[name] = planCollection(nb.block, nb.nesting, prior === null ? null : (prior[name] ?? null), proposed[name] ?? null);
  }
  return out;
}

function planAttribute(attr: Attribute, prior: Value, proposed: Value, isNew: boolean): Value {
  if (proposed === null) return attr.computed === true && isNew ? UNKNOWN : null;
  if (attr.nested === undefined || proposed === UNKNOWN) return proposed;
  return planCollection({ attributes: attr.nested.attributes }, attr.nested.nesting, prior, proposed);
}

function planCollection(block: Block, nesting: string, prior: Value, proposed: Value): Value {
  if (proposed === null || proposed === UNKNOWN) return proposed;
  switch (nesting) {
    case "single":
    case "group":
      return planObject(block, isObject(prior) ? prior : null, proposed);
    case "map": {
      if (!isObject(proposed)) return proposed;
      const priorMap = isObject(prior) ? prior : {};
      const out: { [k: string]: Value } = {};
      for (const [k, v] of Object.entries(proposed)) {
        const p = priorMap[k];
        out[k] = planObject(block, p !== undefined && isObject(p) ? p : null, v);
      }
      return out;
    }
    case "list": {
      if (!Array.isArray(proposed)) return proposed;
      const priorList = Array.isArray(prior) ? prior : [];
      return proposed.map((v, i) => {
        const p = priorList[i];
        return planObject(block, p !== undefined && isObject(p) ? p : null, v);
      });
    }
    case "set": {
      if (!Array.isArray(proposed)) return proposed;
      const priorSet = Array.isArray(prior) ? prior : [];
      return proposed.map((v) => (priorSet.some((p) => valuesEqual(p, v)) ? v : planObject(block, null, v)));
    }
    default:
      return proposed;
  }
}

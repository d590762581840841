import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { BUNDLE_SCHEMA, ENVELOPE_SCHEMA, PREDICATE_SCHEMA, STATEMENT_SCHEMA } from './oms-schemas.js';

let compiled: { bundle: ValidateFunction; statement: ValidateFunction } | undefined;

/** Compiles the OMS schemas once, on first use (Ajv compiles to functions; ~20 ms). */
function validators(): { bundle: ValidateFunction; statement: ValidateFunction } {
  if (compiled === undefined) {
    const ajv = new Ajv2020({ allErrors: false, strict: false });
    ajv.addSchema(ENVELOPE_SCHEMA).addSchema(PREDICATE_SCHEMA);
    compiled = { bundle: ajv.compile(BUNDLE_SCHEMA), statement: ajv.compile(STATEMENT_SCHEMA) };
  }
  return compiled;
}

const describe = (errors: ErrorObject[] | null | undefined): string => {
  const e = errors?.[0];
  if (e === undefined) return 'does not match the schema';
  const where = e.instancePath === '' ? 'the document' : e.instancePath;
  const extra = e.keyword === 'additionalProperties' ? ` ('${String((e.params as { additionalProperty?: string }).additionalProperty)}')` : e.keyword === 'enum' || e.keyword === 'const' ? ` (${JSON.stringify(e.params)})` : '';
  return `${where} ${e.message ?? 'is invalid'}${extra}`;
};

/** Checks a value against an OMS schema; returns undefined when it conforms, else the first problem in words. */
export function schemaProblem(which: 'bundle' | 'statement', value: unknown): string | undefined {
  const v = validators()[which];
  return v(value) ? undefined : describe(v.errors);
}

import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { modelName, serializeModel, type Serialized, type SerializeOptions } from '../hashing/index.js';
import { signStatement } from './bundle.js';
import { SignError } from './errors.js';
import { keyHint, sameKey } from './keys.js';
import { schemaProblem } from './schema-check.js';
import { buildStatement } from './statement.js';

export interface SignOptions extends SerializeOptions {
  /** EC P-256/P-384/P-521 private key. */
  privateKey: KeyObject;
  /** `certificate` method: the leaf (matching the key) first, then intermediates. Omitted: the `key` method. */
  certificates?: readonly X509Certificate[];
  /** Where the signature will be written: left out of the model when it lies inside it, and recorded as ignored. */
  signaturePath?: string;
}

export interface Signed {
  bundle: object;
  serialized: Serialized;
  statement: object;
}

/**
 * Signs a model folder or file as an OMS v1.0 signature: serializes it (files or shards, in parallel), builds the
 * in-toto statement, signs its DSSE PAE with the hash the key's curve calls for, and returns a Sigstore bundle v0.3.
 */
export async function signModel(target: string, options: SignOptions): Promise<Signed> {
  const pub = createPublicKey(options.privateKey);
  keyHint(pub); // refuses unsupported curves before any hashing
  const leaf = options.certificates?.[0];
  if (options.certificates !== undefined && leaf === undefined) throw new SignError('SIGN_CERTIFICATE_INVALID', 'the certificate method needs the signing certificate');
  if (leaf !== undefined && !sameKey(leaf.publicKey, pub)) throw new SignError('SIGN_CERTIFICATE_INVALID', `the certificate ${leaf.subject.replace(/\n/g, ', ')} is not for this private key: pass the certificate issued for the key`);
  const serialized = await serializeModel(target, { ...options, exclude: [...(options.exclude ?? []), ...(options.signaturePath === undefined ? [] : [options.signaturePath])] });
  const statement = buildStatement(serialized, modelName(target));
  // Our own output must conform: a statement the schema rejects would be refused by strict verifiers.
  const problem = schemaProblem('statement', statement);
  if (problem !== undefined) throw new Error(`internal: built a statement that does not conform to the OMS schema: ${problem}`);
  const bundle = signStatement(statement, options.privateKey, leaf === undefined ? { hint: keyHint(pub) } : { chain: [...options.certificates!] });
  return { bundle, serialized, statement };
}

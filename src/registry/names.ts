import { RegistryError } from './errors.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const ALIAS = /^[a-z][a-z0-9-]{0,63}$/;

export function checkName(name: string): string {
  if (!NAME.test(name)) throw new RegistryError('REGISTRY_NAME_INVALID', `name '${name}' must be 1–128 lowercase letters, digits or . _ - (starting with a letter or digit)`);
  return name;
}

export function checkVersion(version: string): string {
  if (!VERSION.test(version)) throw new RegistryError('REGISTRY_NAME_INVALID', `version '${version}' must be 1–64 letters, digits or . _ + - (e.g. 1.2.0)`);
  return version;
}

export function checkAlias(alias: string): string {
  if (!ALIAS.test(alias) || /^\d/.test(alias)) throw new RegistryError('REGISTRY_NAME_INVALID', `alias '${alias}' must be 1–64 lowercase letters, digits or - starting with a letter (e.g. production)`);
  return alias;
}

/** Splits `name@version` (or `name@alias`); both parts checked. */
export function parseRef(ref: string): { name: string; at: string } {
  const i = ref.lastIndexOf('@');
  if (i <= 0 || i === ref.length - 1) throw new RegistryError('REGISTRY_NAME_INVALID', `'${ref}' is not NAME@VERSION (e.g. fraud-detector@1.2.0)`);
  return { name: checkName(ref.slice(0, i)), at: checkVersion(ref.slice(i + 1)) };
}

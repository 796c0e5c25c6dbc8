/**
 * Reading the `shapelens` configuration section for the server.
 * Pure logic: no `vscode` import.
 */

export const SECTION = 'shapelens';

/** Settings that only an trusted workspace may turn on. */
export const RESTRICTED_IN_UNTRUSTED = ['confirm.enable', 'confirm.python', 'interpreter'] as const;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain-JSON deep copy (drops functions/undefined, as the wire would). */
export function toJson(value: unknown): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : null;
  }
  if (Array.isArray(value)) {
    return value.map((v) => (v === undefined ? null : toJson(v)));
  }
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined && typeof v !== 'function') {
        out[k] = toJson(v);
      }
    }
    return out;
  }
  return null;
}

/**
 * Make a settings object safe for an untrusted workspace: never run the model
 * (`confirm.enable` false, `confirm.python` dropped).  Handles nested and dotted keys.
 */
export function restrictForUntrusted(settings: JsonObject): JsonObject {
  const out: JsonObject = { ...settings };
  for (const key of Object.keys(out)) {
    if (key === 'confirm.python' || key === 'confirm.enable') {
      delete out[key];
    }
  }
  const confirm = isObject(out.confirm) ? { ...(out.confirm as JsonObject) } : {};
  confirm.enable = false;
  delete confirm.python;
  out.confirm = confirm;
  return out;
}

/** initializationOptions: the `shapelens` section as JSON plus `workspaceTrusted`. */
export function buildInitializationOptions(section: unknown, workspaceTrusted: boolean): JsonObject {
  const json = toJson(section);
  let settings: JsonObject = isObject(json) ? (json as JsonObject) : {};
  if (!workspaceTrusted) {
    settings = restrictForUntrusted(settings);
  }
  return { ...settings, workspaceTrusted };
}

/**
 * Patch a `workspace/configuration` answer for an untrusted workspace: for every
 * requested item whose section is `shapelens` (or unset), force confirm off.
 */
export function sanitizeConfigurationResult(
  items: ReadonlyArray<{ section?: string }>,
  result: unknown[],
  workspaceTrusted: boolean,
): unknown[] {
  if (workspaceTrusted) {
    return result;
  }
  return result.map((value, i) => {
    const section = items[i]?.section;
    if (!isObject(value)) {
      return value;
    }
    if (section === SECTION) {
      return restrictForUntrusted(toJson(value) as JsonObject);
    }
    if (section === `${SECTION}.confirm`) {
      const copy: JsonObject = { ...(toJson(value) as JsonObject), enable: false };
      delete copy.python;
      return copy;
    }
    if (section === undefined || section === '') {
      const copy = { ...(toJson(value) as JsonObject) };
      if (isObject(copy[SECTION])) {
        copy[SECTION] = restrictForUntrusted(copy[SECTION] as JsonObject);
      }
      return copy;
    }
    return value;
  });
}

/** Should this configuration change restart the server?  Only the interpreter needs a restart. */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return affects(`${SECTION}.interpreter`);
}

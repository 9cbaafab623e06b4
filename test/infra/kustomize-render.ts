import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IPodSpec } from 'kubernetes-models/v1';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

// A small subset of kustomize (the features infra/k8s uses), so the manifests render offline with no
// binary. Anything else it meets in a kustomization throws, so a new feature cannot pass unchecked.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export interface K8sObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [key: string]: Json };
}
export interface Generator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  literals?: string[];
  files?: string[];
}
export interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  patches?: { path?: string; patch?: string; target?: { kind?: string; name?: string } }[];
}
export const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'configMapGenerator', 'secretGenerator', 'patches']);


export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export function readKustomization(dir: string): Kustomization {
  const parsed = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization & JsonObject;
  const unsupported = Object.keys(parsed).filter((key) => !KUSTOMIZATION_KEYS.has(key));
  if (unsupported.length) throw new Error(`${dir}: kustomization fields this test cannot render: ${unsupported.join(', ')}`);
  return parsed;
}

export function readDocuments(file: string): JsonObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((document) => {
    if (document.errors.length) throw new Error(`${file}: ${document.errors[0]?.message}`);
    return document.toJSON() as JsonObject;
  });
}

/** Strategic merge as kustomize applies it to these manifests: maps merge, named list items merge by name. */
export function mergePatch(target: Json, patch: Json): Json {
  if (isObject(target) && isObject(patch)) {
    const merged: JsonObject = { ...target };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete merged[key];
      else merged[key] = key in target ? mergePatch(target[key] as Json, value) : value;
    }
    return merged;
  }
  if (Array.isArray(target) && Array.isArray(patch) && [...target, ...patch].every((item) => isObject(item) && typeof item.name === 'string')) {
    const merged = [...target] as JsonObject[];
    for (const item of patch as JsonObject[]) {
      const index = merged.findIndex((existing) => existing.name === item.name);
      if (index < 0) merged.push(item);
      else merged[index] = mergePatch(merged[index] as Json, item) as JsonObject;
    }
    return merged;
  }
  return patch;
}

export function applyJsonPatch(target: K8sObject, operations: JsonObject[]): void {
  for (const operation of operations) {
    if (operation.op !== 'replace' && operation.op !== 'add') throw new Error(`unsupported JSON patch op ${String(operation.op)}`);
    const keys = String(operation.path).split('/').slice(1);
    const last = keys.pop() as string;
    let parent: Json = target;
    for (const key of keys) parent = isObject(parent) ? (parent[key] as Json) : null;
    if (!isObject(parent) || (operation.op === 'replace' && !(last in parent))) throw new Error(`${target.kind}/${target.metadata.name}: no ${String(operation.path)} to ${operation.op}`);
    parent[last] = operation.value as Json;
  }
}

export function generate(dir: string, generator: Generator): Record<string, string> {
  const data: Record<string, string> = {};
  for (const literal of generator.literals ?? []) {
    const at = literal.indexOf('=');
    data[literal.slice(0, at)] = literal.slice(at + 1);
  }
  for (const file of generator.files ?? []) {
    const [key, source] = file.includes('=') ? (file.split('=') as [string, string]) : [path.basename(file), file];
    data[key] = readFileSync(path.join(dir, source), 'utf8');
  }
  return data;
}

/** Renders a kustomization as `kubectl kustomize` would, except that generated names keep no hash suffix. */
export function render(dir: string): K8sObject[] {
  const kustomization = readKustomization(dir);
  const objects: K8sObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const location = path.join(dir, resource);
    if (statSync(location).isDirectory()) objects.push(...render(location));
    else objects.push(...(readDocuments(location) as K8sObject[]));
  }
  const find = (kind: string, name: string) => objects.find((object) => object.kind === kind && object.metadata.name === name);
  for (const [kind, generators, field] of [['ConfigMap', kustomization.configMapGenerator, 'data'], ['Secret', kustomization.secretGenerator, 'stringData']] as const) {
    for (const generator of generators ?? []) {
      const data = generate(dir, generator);
      const existing = find(kind, generator.name);
      if ((generator.behavior ?? 'create') === 'create') {
        if (existing) throw new Error(`${dir}: ${kind} ${generator.name} already exists`);
        objects.push({ apiVersion: 'v1', kind, metadata: { name: generator.name }, [field]: data });
      } else {
        if (!existing) throw new Error(`${dir}: ${generator.behavior} of missing ${kind} ${generator.name}`);
        existing[field] = generator.behavior === 'merge' ? { ...(existing[field] as JsonObject), ...data } : data;
      }
    }
  }
  for (const entry of kustomization.patches ?? []) {
    const patch = parse(entry.path ? readFileSync(path.join(dir, entry.path), 'utf8') : (entry.patch ?? '')) as Json;
    const selector = entry.target ?? (isObject(patch) ? { kind: String(patch.kind), name: String((patch.metadata as JsonObject).name) } : {});
    const targets = objects.filter((object) => (!selector.kind || object.kind === selector.kind) && (!selector.name || new RegExp(`^(?:${selector.name})$`).test(object.metadata.name)));
    if (!targets.length) throw new Error(`${dir}: patch ${entry.path ?? JSON.stringify(selector)} matches nothing`);
    for (const target of targets) {
      if (Array.isArray(patch)) applyJsonPatch(target, patch as JsonObject[]);
      else objects.splice(objects.indexOf(target), 1, mergePatch(target, patch) as K8sObject);
    }
  }
  for (const object of objects) {
    for (const container of podSpecOf(object)?.containers ?? []) {
      const [name, tag] = splitImage(container.image ?? '');
      const image = kustomization.images?.find((candidate) => candidate.name === name);
      const newTag = image?.newTag ?? tag;
      if (image) container.image = newTag ? `${image.newName ?? name}:${newTag}` : (image.newName ?? name);
    }
  }
  return objects;
}



export function kustomizationDirs(dir: string): string[] {
  const children = readdirSync(dir, { withFileTypes: true });
  const here = children.some((entry) => entry.name === 'kustomization.yaml') ? [dir] : [];
  return [...here, ...children.filter((entry) => entry.isDirectory()).flatMap((entry) => kustomizationDirs(path.join(dir, entry.name)))];
}
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}
/** Every file a kustomization names: resources, patch files and generator sources. */
export function referencedFiles(dir: string): string[] {
  const kustomization = readKustomization(dir);
  const generators = [...(kustomization.configMapGenerator ?? []), ...(kustomization.secretGenerator ?? [])];
  return [
    ...(kustomization.resources ?? []),
    ...(kustomization.patches ?? []).flatMap((patch) => (patch.path ? [patch.path] : [])),
    ...generators.flatMap((generator) => (generator.files ?? []).map((file) => file.split('=').pop() as string)),
  ].map((file) => path.join(dir, file));
}

export function splitImage(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}

export function podSpecOf(object: K8sObject): IPodSpec | undefined {
  return object.kind === 'Deployment' || object.kind === 'StatefulSet' ? ((object.spec as JsonObject).template as unknown as { spec: IPodSpec }).spec : undefined;
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment, StatefulSet, type IDeployment, type IStatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service, type IConfigMap, type IContainer, type IPodSpec, type IProbe, type ISecret, type IService } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { defaultDbOptions } from '../../packages/db/src/create-db.js';
import { geolocationConfig } from '../../services/geolocation/src/config.js';
import { inventoryConfig } from '../../services/inventory/src/config.js';
import { gatewayConfig } from '../../services/mqtt-gateway/src/config.js';
import { policyServiceConfig } from '../../services/policy-service/src/config.js';
import { taskTrackerConfig } from '../../services/task-tracker/src/config.js';
import { filesUnder, kustomizationDirs, podSpecOf, readDocuments, referencedFiles, render, splitImage, type K8sObject } from './kustomize-render.js';

// Offline validation of infra/k8s: no cluster and no kustomize binary; kustomize-render.ts renders it.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const k8sDir = path.join(root, 'infra', 'k8s');
const LAYERS = ['base', 'overlays/local', 'overlays/production'] as const;
type Layer = (typeof LAYERS)[number];

/** The configuration schema each service parses its environment with. */
const SCHEMAS = {
  'mqtt-gateway': gatewayConfig,
  inventory: inventoryConfig,
  'policy-service': policyServiceConfig,
  'task-tracker': taskTrackerConfig,
  geolocation: geolocationConfig,
};
const SERVICES = Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[];
/** Secrets an overlay expects to exist in the cluster already; the local overlay generates its own. */
const EXTERNAL_SECRETS: Record<Layer, string[]> = { base: ['flotilla-secrets'], 'overlays/local': [], 'overlays/production': ['flotilla-secrets'] };
/** Connections PostgreSQL keeps for superusers and the CloudNativePG operator itself. */
const RESERVED_CONNECTIONS = 10;

interface CnpgCluster extends K8sObject {
  spec: { instances: number; imageName: string; bootstrap: { initdb: { database: string; owner: string } }; postgresql?: { parameters?: Record<string, string> } };
}

const renders = new Map<Layer, K8sObject[]>();
function rendered(layer: Layer): K8sObject[] {
  if (!renders.has(layer)) renders.set(layer, render(path.join(k8sDir, layer)));
  return renders.get(layer) as K8sObject[];
}
function ofKind<T>(objects: K8sObject[], kind: string): (T & K8sObject)[] {
  return objects.filter((object) => object.kind === kind) as (T & K8sObject)[];
}
function named<T>(objects: K8sObject[], kind: string, name: string): T & K8sObject {
  const found = ofKind<T>(objects, kind).find((object) => object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

function containerPort(container: IContainer, port: string | number | undefined): number | undefined {
  return typeof port === 'number' ? container.ports?.find((candidate) => candidate.containerPort === port)?.containerPort : container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}
const probePath = (probe: IProbe | undefined) => probe?.httpGet?.path;

function serviceContainer(objects: K8sObject[], name: string): { deployment: IDeployment & K8sObject; spec: IPodSpec; container: IContainer } {
  const deployment = named<IDeployment>(objects, 'Deployment', name);
  const spec = podSpecOf(deployment) as IPodSpec;
  const container = spec.containers.find((candidate) => candidate.name === name);
  if (!container) throw new Error(`Deployment ${name} has no container ${name}`);
  return { deployment, spec, container };
}

function configValue(objects: K8sObject[], key: string): string {
  const value = named<IConfigMap>(objects, 'ConfigMap', 'flotilla-config').data?.[key];
  if (value === undefined) throw new Error(`flotilla-config has no ${key}`);
  return value;
}

/** The environment a container starts with; values of Secrets made outside the manifests stay unknown. */
function environment(objects: K8sObject[], layer: Layer, container: IContainer): { env: Record<string, string>; unknown: Set<string> } {
  const env: Record<string, string> = {};
  const unknown = new Set<string>();
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (!name) throw new Error('only configMapRef is used in envFrom');
    Object.assign(env, named<IConfigMap>(objects, 'ConfigMap', name).data);
  }
  for (const variable of container.env ?? []) {
    const secretRef = variable.valueFrom?.secretKeyRef;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (secretRef) {
      const cluster = ofKind<CnpgCluster>(objects, 'Cluster').find((candidate) => `${candidate.metadata.name}-app` === secretRef.name);
      const secret = ofKind<ISecret>(objects, 'Secret').find((candidate) => candidate.metadata.name === secretRef.name);
      if (cluster) {
        // CloudNativePG writes `uri` into `<cluster>-app`: postgresql://owner:password@<cluster>-rw.<namespace>:5432/database
        expect(secretRef.key).toBe('uri');
        const { owner, database } = cluster.spec.bootstrap.initdb;
        env[variable.name] = `postgresql://${owner}:generated@${cluster.metadata.name}-rw.flotilla:5432/${database}`;
      } else if (secret) {
        const value = secret.stringData?.[secretRef.key];
        if (value === undefined) throw new Error(`Secret ${secretRef.name} has no key ${secretRef.key}`);
        env[variable.name] = value;
      } else {
        expect(EXTERNAL_SECRETS[layer], `Secret ${secretRef.name} is neither rendered nor expected to exist`).toContain(secretRef.name);
        unknown.add(variable.name);
      }
    } else throw new Error(`${variable.name}: only values and secretKeyRef are used`);
  }
  return { env, unknown };
}

function natsConfig(objects: K8sObject[]): { statefulSet: IStatefulSet & K8sObject; conf: string } {
  const statefulSet = named<IStatefulSet>(objects, 'StatefulSet', 'nats');
  const volume = podSpecOf(statefulSet)?.volumes?.find((candidate) => candidate.name === 'config');
  const conf = named<IConfigMap>(objects, 'ConfigMap', volume?.configMap?.name ?? '').data?.['nats.conf'];
  if (!conf) throw new Error('the nats-config ConfigMap has no nats.conf');
  return { statefulSet, conf };
}
describe('infra/k8s files', () => {
  it('parses every YAML document and uses every file in some kustomization', () => {
    const files = filesUnder(k8sDir);
    for (const file of files.filter((candidate) => candidate.endsWith('.yaml'))) expect(() => readDocuments(file), file).not.toThrow();
    const used = new Set(kustomizationDirs(k8sDir).flatMap((dir) => [path.join(dir, 'kustomization.yaml'), ...referencedFiles(dir)]));
    expect(files.filter((file) => !used.has(file)).map((file) => path.relative(k8sDir, file))).toEqual([]);
  });

  it('names only existing files and kustomization folders in every kustomization', () => {
    const dirs = kustomizationDirs(k8sDir);
    expect(dirs.length).toBeGreaterThanOrEqual(LAYERS.length);
    const missing = dirs
      .flatMap(referencedFiles)
      .filter((file) => !existsSync(file) || (statSync(file).isDirectory() && !existsSync(path.join(file, 'kustomization.yaml'))));
    expect(missing.map((file) => path.relative(k8sDir, file))).toEqual([]);
  });
});

describe.each(LAYERS)('infra/k8s/%s rendered', (layer) => {
  it('holds only objects valid against the Kubernetes schema, plus the CloudNativePG cluster', () => {
    const objects = rendered(layer);
    expect(objects.length).toBeGreaterThan(20);
    for (const object of objects) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      if (Model) expect(() => new Model(object as never).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
      else expect(`${object.apiVersion}/${object.kind}`).toBe('postgresql.cnpg.io/v1/Cluster');
    }
  });

  it.each(SERVICES)('runs %s with probes on its HTTP port, resources, a drain period and no root', (name) => {
    const objects = rendered(layer);
    const { deployment, spec, container } = serviceContainer(objects, name);
    const port = Number(container.env?.find((variable) => variable.name === 'HTTP_PORT')?.value);
    expect(port).toBeGreaterThan(0);
    expect(containerPort(container, 'http')).toBe(port);
    expect(deployment.spec?.template.metadata?.annotations?.['prometheus.io/port']).toBe(String(port));
    for (const [probe, expected] of [[container.startupProbe, '/healthz'], [container.livenessProbe, '/healthz'], [container.readinessProbe, '/readyz']] as const) {
      expect(probePath(probe)).toBe(expected);
      expect(containerPort(container, probe?.httpGet?.port)).toBe(port);
    }
    // The HorizontalPodAutoscaler owns the replica count.
    expect(deployment.spec?.replicas).toBeUndefined();
    expect(container.command?.slice(0, 3)).toEqual(['node', '--import', 'tsx']);
    expect(container.command?.[3]).toBe(`services/${name}/src/main.ts`);
    expect(existsSync(path.join(root, container.command?.[3] ?? '-'))).toBe(true);
    for (const resource of ['cpu', 'memory']) {
      expect(container.resources?.requests?.[resource], `requests.${resource}`).toBeDefined();
      expect(container.resources?.limits?.[resource], `limits.${resource}`).toBeDefined();
    }
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    expect(container.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot).toBe(true);
    expect(container.securityContext?.runAsUser ?? spec.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
    if (container.securityContext?.readOnlyRootFilesystem) {
      // tsx writes its cache to the temporary directory.
      const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
      expect(spec.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir).toBeDefined();
    }
  });

  it.each(SERVICES)('routes a Service, a HorizontalPodAutoscaler and a PodDisruptionBudget to %s', (name) => {
    const objects = rendered(layer);
    const { deployment, container } = serviceContainer(objects, name);
    const podLabels = deployment.spec?.template.metadata?.labels ?? {};
    const selects = (selector: Record<string, string> | undefined) => Object.keys(selector ?? {}).length > 0 && Object.entries(selector ?? {}).every(([key, value]) => podLabels[key] === value);
    expect(selects(deployment.spec?.selector.matchLabels)).toBe(true);
    const service = named<IService>(objects, 'Service', name);
    expect(selects(service.spec?.selector)).toBe(true);
    for (const port of service.spec?.ports ?? []) expect(containerPort(container, port.targetPort ?? port.port), `Service port ${port.name}`).toBeDefined();
    const hpa = named<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', name);
    expect(hpa.spec?.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    expect(hpa.spec?.minReplicas).toBeLessThanOrEqual(hpa.spec?.maxReplicas ?? 0);
    expect(hpa.spec?.metrics?.some((metric) => metric.resource?.name === 'cpu')).toBe(true);
    expect(selects(named<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', name).spec?.selector?.matchLabels)).toBe(true);
  });

  it.each(SERVICES)('gives %s only variables its configuration schema reads, with values it accepts', (name) => {
    const objects = rendered(layer);
    const schema = SCHEMAS[name];
    const { env, unknown } = environment(objects, layer, serviceContainer(objects, name).container);
    const names = [...Object.keys(env), ...unknown];
    expect(names.filter((variable) => !(variable in schema.shape))).toEqual([]);
    const result = schema.safeParse(env);
    const issues = result.success ? [] : result.error.issues.filter((issue) => !unknown.has(String(issue.path[0])));
    expect(issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([]);
  });

  it('exposes MQTT and MQTT over WebSocket on the gateway ports, inside the cluster and to devices', () => {
    const objects = rendered(layer);
    const { container } = serviceContainer(objects, 'mqtt-gateway');
    const mqttPort = Number(container.env?.find((variable) => variable.name === 'MQTT_PORT')?.value);
    expect(containerPort(container, 'mqtt')).toBe(mqttPort);
    for (const name of ['mqtt-gateway', 'mqtt-gateway-public']) {
      const port = named<IService>(objects, 'Service', name).spec?.ports?.find((candidate) => candidate.port === 1883);
      expect(containerPort(container, port?.targetPort), name).toBe(mqttPort);
    }
    // MQTT over TLS where it is configured: its port, its certificate files from a mounted Secret.
    const tlsPort = container.env?.find((variable) => variable.name === 'MQTT_TLS_PORT')?.value;
    if (tlsPort !== undefined) {
      expect(containerPort(container, 'mqtts')).toBe(Number(tlsPort));
      const tlsService = named<IService>(objects, 'Service', 'mqtt-gateway-public').spec?.ports?.find((candidate) => candidate.port === 8883);
      expect(containerPort(container, tlsService?.targetPort)).toBe(Number(tlsPort));
      const mounts = container.volumeMounts ?? [];
      for (const file of ['MQTT_TLS_CERT_FILE', 'MQTT_TLS_KEY_FILE']) {
        const value = container.env?.find((variable) => variable.name === file)?.value ?? '';
        const mount = mounts.find((candidate) => value.startsWith(`${candidate.mountPath}/`));
        const volume = podSpecOf(named(objects, 'Deployment', 'mqtt-gateway'))?.volumes?.find((candidate) => candidate.name === mount?.name);
        expect(volume?.secret?.secretName, `${file} comes from a Secret`).toBeDefined();
      }
    }
    // MQTT over WebSocket everywhere, and over secure WebSocket where TLS is configured.
    const wsPort = container.env?.find((variable) => variable.name === 'MQTT_WS_PORT')?.value;
    expect(containerPort(container, 'mqtt-ws')).toBe(Number(wsPort));
    const publicService = named<IService>(objects, 'Service', 'mqtt-gateway-public');
    expect(containerPort(container, publicService.spec?.ports?.find((candidate) => candidate.port === 8083)?.targetPort)).toBe(Number(wsPort));
    const wssPort = container.env?.find((variable) => variable.name === 'MQTT_WSS_PORT')?.value;
    expect(wssPort === undefined).toBe(tlsPort === undefined);
    if (wssPort !== undefined) expect(containerPort(container, publicService.spec?.ports?.find((candidate) => candidate.port === 8084)?.targetPort)).toBe(Number(wssPort));
    const publicPorts = publicService.spec?.ports?.map((port) => port.port);
    expect(publicPorts, 'health and metrics stay inside the cluster').toEqual(tlsPort === undefined ? [1883, 8083] : [1883, 8083, 8883, 8084]);
  });

  it('runs NATS as a JetStream cluster the services can reach, with at least STREAM_REPLICAS servers', () => {
    const objects = rendered(layer);
    const { statefulSet, conf } = natsConfig(objects);
    const replicas = statefulSet.spec?.replicas ?? 1;
    const container = podSpecOf(statefulSet)?.containers[0] as IContainer;
    expect(Number(configValue(objects, 'STREAM_REPLICAS'))).toBeLessThanOrEqual(replicas);

    const dataMount = container.volumeMounts?.find((mount) => mount.name === 'data')?.mountPath ?? '-';
    expect(statefulSet.spec?.volumeClaimTemplates?.map((claim) => claim.metadata?.name)).toContain('data');
    const storeDir = /jetstream\s*\{[^}]*store_dir:\s*(\S+)/.exec(conf)?.[1];
    expect(storeDir, 'JetStream stores on the persistent volume').toMatch(new RegExp(`^${dataMount}/`));
    expect(conf).toMatch(/^\s*sync_interval:\s*always\s*$/m);
    // sync_interval needs nats-server 2.10 or later.
    const [major, minor] = (splitImage(container.image ?? '')[1] ?? '').split(/[.-]/).map(Number);
    expect((major ?? 0) * 100 + (minor ?? 0)).toBeGreaterThanOrEqual(210);

    const routes = /routes:\s*\[([^\]]*)\]/.exec(conf)?.[1]?.trim().split(/\s+/) ?? [];
    const clusterPort = containerPort(container, 'cluster');
    const expected = Array.from({ length: replicas }, (_, index) => `nats://nats-${index}.${statefulSet.spec?.serviceName}:${clusterPort}`);
    expect(replicas === 1 ? routes : routes.sort()).toEqual(replicas === 1 ? [] : expected);
    if (replicas > 1) {
      expect(statefulSet.spec?.podManagementPolicy).toBe('Parallel');
      const headless = named<IService>(objects, 'Service', statefulSet.spec?.serviceName ?? '');
      expect(headless.spec?.clusterIP).toBe('None');
      expect(headless.spec?.publishNotReadyAddresses).toBe(true);
    }

    const url = new URL(configValue(objects, 'NATS_URL'));
    const client = named<IService>(objects, 'Service', url.hostname).spec?.ports?.find((port) => port.port === Number(url.port));
    expect(containerPort(container, client?.targetPort)).toBe(4222);
  });

  it('runs PostgreSQL through CloudNativePG on a pinned image', () => {
    const cluster = named<CnpgCluster>(rendered(layer), 'Cluster', 'flotilla-db');
    expect(cluster.apiVersion).toBe('postgresql.cnpg.io/v1');
    const [, tag] = splitImage(cluster.spec.imageName);
    expect(Number(tag?.split('.')[0])).toBeGreaterThanOrEqual(15);
    expect(cluster.spec.instances).toBe(layer === 'overlays/local' ? 1 : 3);
  });
});

describe('infra/k8s layers', () => {
  it('base: three NATS servers with JetStream, three replicas of every stream', () => {
    const objects = rendered('base');
    expect(natsConfig(objects).statefulSet.spec?.replicas).toBe(3);
    expect(natsConfig(objects).conf).toMatch(/^jetstream\s*\{/m);
    expect(configValue(objects, 'STREAM_REPLICAS')).toBe('3');
  });

  it('local: one replica of everything and every Secret generated', () => {
    const objects = rendered('overlays/local');
    expect(natsConfig(objects).statefulSet.spec?.replicas).toBe(1);
    expect(configValue(objects, 'STREAM_REPLICAS')).toBe('1');
    for (const hpa of ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler')) expect([hpa.spec?.minReplicas, hpa.spec?.maxReplicas], hpa.metadata.name).toEqual([1, 1]);
    for (const name of SERVICES) expect(environment(objects, 'overlays/local', serviceContainer(objects, name).container).unknown.size, name).toBe(0);
  });

  it('production: MQTT on a LoadBalancer that keeps client addresses, pinned images, replicated streams', () => {
    const objects = rendered('overlays/production');
    const publicService = named<IService>(objects, 'Service', 'mqtt-gateway-public');
    expect(publicService.spec?.type).toBe('LoadBalancer');
    // The gateway throttles failed logins per source address.
    expect(publicService.spec?.externalTrafficPolicy).toBe('Local');
    expect(configValue(objects, 'STREAM_REPLICAS')).toBe('3');
    // Devices log in with their own credentials from KV; the shared password is for development.
    expect(serviceContainer(objects, 'mqtt-gateway').container.env?.map((variable) => variable.name)).not.toContain('GATEWAY_DEV_CREDENTIALS');
    for (const hpa of ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler')) expect(hpa.spec?.minReplicas, hpa.metadata.name).toBeGreaterThanOrEqual(2);
    for (const object of objects) {
      for (const container of podSpecOf(object)?.containers ?? []) expect(splitImage(container.image ?? '')[1] ?? 'latest', container.image).not.toBe('latest');
    }
  });

  it('production: the database connections of every service at its HPA maximum fit max_connections', () => {
    const objects = rendered('overlays/production');
    const cluster = named<CnpgCluster>(objects, 'Cluster', 'flotilla-db');
    const maxConnections = Number(cluster.spec.postgresql?.parameters?.max_connections ?? 100);
    const { poolSize } = defaultDbOptions();
    let connections = 0;
    for (const name of SERVICES) {
      const { deployment, container } = serviceContainer(objects, name);
      if (!container.env?.some((variable) => variable.name === 'DATABASE_URL')) continue;
      const surge = Number(deployment.spec?.strategy?.rollingUpdate?.maxSurge ?? 1);
      connections += ((named<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', name).spec?.maxReplicas ?? 0) + surge) * poolSize;
    }
    expect(connections).toBeGreaterThan(0);
    expect(connections).toBeLessThanOrEqual(maxConnections - RESERVED_CONNECTIONS);
  });

  it('production: infra/README.md says how to create every key of the Secrets made outside the manifests', () => {
    const objects = rendered('overlays/production');
    const readme = readFileSync(path.join(root, 'infra', 'README.md'), 'utf8');
    const keys = SERVICES.flatMap((name) => serviceContainer(objects, name).container.env ?? [])
      .map((variable) => variable.valueFrom?.secretKeyRef)
      .filter((ref) => ref !== undefined && EXTERNAL_SECRETS['overlays/production'].includes(ref.name ?? ''));
    expect(keys.length).toBeGreaterThan(0);
    for (const ref of keys) expect(readme, `${ref?.name}/${ref?.key}`).toContain(`--from-literal=${ref?.key}=`);
  });
});

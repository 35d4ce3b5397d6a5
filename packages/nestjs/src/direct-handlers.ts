import type { INestApplicationContext } from '@nestjs/common';

/**
 * Why this exists: Nest hands the adapter each `@SubscribeMessage` handler wrapped by its
 * context creator (guards, pipes, interceptors, exception filters, parameter decorators), and a
 * transform that turns the result into an Observable. For a handler with none of those enhancers
 * that costs about ten promises and a few Observables per message, and decides nothing: the
 * method is called with its parameters, and its result is sent. This module finds, from the same
 * metadata Nest reads, the handlers for which that holds, so that the client calls them
 * directly. Whenever anything is uncertain (a request-scoped gateway, a global enhancer, a custom
 * parameter decorator, two gateways alike, Nest internals not where they are expected) the
 * handler stays on Nest's path, which is always correct.
 */

// --- types ------------------------------------------------------------------------------

/** A handler called without Nest's wrapping: the gateway's method and where its arguments come from. */
export interface DirectHandler {
  readonly instance: object;
  readonly method: (...args: unknown[]) => unknown;
  /** One entry per parameter, as Nest's WsParamsFactory fills it. */
  readonly params: readonly ParamSource[];
}

/** Nest's WsParamtype: 0 `@ConnectedSocket()`, 3 `@MessageBody(property?)`, 13 `@Ack()`. */
export type ParamSource =
  | { readonly kind: 'client' }
  | { readonly kind: 'data'; readonly property: string | undefined }
  | { readonly kind: 'ack' }
  | { readonly kind: 'event' }
  | { readonly kind: 'pattern' }
  | { readonly kind: 'null' }
  | { readonly kind: 'undefined' };

interface ProviderWrapper {
  readonly instance?: unknown;
  readonly metatype?: unknown;
  isDependencyTreeStatic?(): boolean;
}

interface NestApp {
  readonly container?: {
    getModules?(): Map<unknown, { readonly providers?: Map<unknown, ProviderWrapper> }>;
  };
  readonly config?: Record<string, unknown>;
}

interface ParamMetadata {
  readonly index: number;
  readonly data?: unknown;
  readonly pipes?: readonly unknown[];
}

type GetMetadata = (key: string, target: object, property?: string) => unknown;

// Nest's metadata keys, the same in Nest 11 and 12.
const GATEWAY_METADATA = 'websockets:is_gateway';
const GATEWAY_OPTIONS = 'websockets:gateway_options';
const PORT_METADATA = 'port';
const MESSAGE_MAPPING_METADATA = 'websockets:message_mapping';
const MESSAGE_METADATA = 'message';
const ROUTE_ARGS_METADATA = '__routeArguments__';
const CUSTOM_ROUTE_ARGS = '__customRouteArgs__';
const ENHANCER_METADATA = ['__guards__', '__pipes__', '__interceptors__', '__exceptionFilters__'];
const GLOBAL_ENHANCERS = [
  'getGlobalGuards',
  'getGlobalPipes',
  'getGlobalInterceptors',
  'getGlobalFilters',
];
/** What Nest uses when a handler has no parameter decorator: (client, data, ack). */
const DEFAULT_PARAMS: readonly ParamSource[] = [
  { kind: 'client' },
  { kind: 'data', property: undefined },
  { kind: 'ack' },
];

/** What Nest passes when a handler's param metadata is there but empty: its own arguments. */
const RAW_PARAMS: readonly ParamSource[] = [
  { kind: 'client' },
  { kind: 'data', property: undefined },
  { kind: 'event' },
  { kind: 'pattern' },
];

// --- finding ----------------------------------------------------------------------------

/** Where a gateway is served: the adapter's server key (port, normalized path). */
export interface GatewayPlace {
  readonly port: number;
  readonly path: string | undefined;
}

/**
 * Finds direct handlers for the handler lists Nest binds, once per server and list. The result
 * has one entry per handler, undefined where Nest's path must run.
 */
export class DirectHandlerFinder {
  private readonly found = new Map<string, readonly (DirectHandler | undefined)[] | undefined>();

  constructor(
    private readonly app: INestApplicationContext | undefined,
    private readonly placeOf: (options: { path?: string }, port: number) => GatewayPlace,
  ) {}

  find(
    place: GatewayPlace,
    messages: readonly unknown[],
  ): readonly (DirectHandler | undefined)[] | undefined {
    const key = JSON.stringify([place.port, place.path ?? null, messages.map(String)]);
    if (!this.found.has(key)) this.found.set(key, this.search(place, messages));
    return this.found.get(key);
  }

  private search(
    place: GatewayPlace,
    messages: readonly unknown[],
  ): readonly (DirectHandler | undefined)[] | undefined {
    const getMetadata = (Reflect as { getMetadata?: GetMetadata }).getMetadata;
    const app = this.app as NestApp | undefined;
    const config = app?.config;
    if (getMetadata === undefined || config === undefined) return undefined;
    for (const name of GLOBAL_ENHANCERS) {
      const read = config[name];
      if (typeof read !== 'function') return undefined;
      const global = read.call(config) as unknown;
      if (!Array.isArray(global) || global.length > 0) return undefined;
    }
    const candidates: { instance: object; methods: string[] }[] = [];
    for (const module of app?.container?.getModules?.().values() ?? []) {
      for (const wrapper of module.providers?.values() ?? []) {
        const { instance, metatype } = wrapper;
        if (typeof metatype !== 'function' || !getMetadata(GATEWAY_METADATA, metatype)) continue;
        const options = (getMetadata(GATEWAY_OPTIONS, metatype) ?? {}) as { path?: string };
        const gatewayPlace = this.placeOf(
          options,
          Number(getMetadata(PORT_METADATA, metatype) ?? 0),
        );
        if (gatewayPlace.port !== place.port || gatewayPlace.path !== place.path) continue;
        if (typeof instance !== 'object' || instance === null) continue;
        const methods = messageMethods(instance, getMetadata);
        const patterns = methods.map((method) =>
          getMetadata(MESSAGE_METADATA, (instance as Record<string, object>)[method] as object),
        );
        if (!sameList(patterns, messages)) continue;
        // A request-scoped gateway gets a new instance per message: Nest's path only.
        if (wrapper.isDependencyTreeStatic?.() !== true) return undefined;
        candidates.push({ instance, methods });
      }
    }
    // Two gateways with the same handlers on one path: which one is bound cannot be told.
    const [gateway, ...others] = candidates;
    if (gateway === undefined || others.length > 0) return undefined;
    return gateway.methods.map((method) => directHandler(gateway.instance, method, getMetadata));
  }
}

/** The `@SubscribeMessage` methods of a gateway, in the order Nest's explorer lists them. */
function messageMethods(instance: object, getMetadata: GetMetadata): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (
    let prototype = Object.getPrototypeOf(instance) as object | null;
    prototype !== null && prototype !== Object.prototype;
    prototype = Object.getPrototypeOf(prototype) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(prototype)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
      if (name === 'constructor' || descriptor?.get || descriptor?.set) continue;
      const value = descriptor?.value as unknown;
      if (typeof value !== 'function') continue;
      if (getMetadata(MESSAGE_MAPPING_METADATA, value) !== undefined) names.push(name);
    }
  }
  return names;
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function hasAny(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/** The method called directly, or undefined when an enhancer or decorator needs Nest's path. */
function directHandler(
  instance: object,
  name: string,
  getMetadata: GetMetadata,
): DirectHandler | undefined {
  const method = (instance as Record<string, unknown>)[name];
  if (typeof method !== 'function') return undefined;
  const gatewayClass = instance.constructor as object;
  for (const key of ENHANCER_METADATA) {
    if (hasAny(getMetadata(key, gatewayClass)) || hasAny(getMetadata(key, method)))
      return undefined;
  }
  const metadata = getMetadata(ROUTE_ARGS_METADATA, gatewayClass, name) as
    | Record<string, ParamMetadata>
    | undefined;
  if (metadata === undefined) {
    return { instance, method: method as DirectHandler['method'], params: DEFAULT_PARAMS };
  }
  const entries = Object.entries(metadata);
  if (entries.length === 0) {
    return { instance, method: method as DirectHandler['method'], params: RAW_PARAMS };
  }
  const length = entries.reduce((max, [, param]) => Math.max(max, param.index + 1), 0);
  const params: ParamSource[] = Array.from({ length }, () => ({ kind: 'undefined' }));
  for (const [key, param] of entries) {
    if (key.includes(CUSTOM_ROUTE_ARGS) || hasAny(param.pipes)) return undefined;
    const type = Number(key.split(':')[0]);
    params[param.index] =
      type === 0
        ? { kind: 'client' }
        : type === 3
          ? { kind: 'data', property: param.data ? String(param.data) : undefined }
          : type === 13
            ? { kind: 'ack' }
            : { kind: 'null' };
  }
  return { instance, method: method as DirectHandler['method'], params };
}

/**
 * The arguments Nest's WsParamsFactory would give: its `args` are the client, the data, the
 * message's event and the handler's pattern.
 */
export function directArguments(
  params: readonly ParamSource[],
  client: object,
  data: unknown,
  event: string,
  pattern: string,
): unknown[] {
  const args = new Array<unknown>(params.length);
  for (let i = 0; i < params.length; i++) {
    const param = params[i] as ParamSource;
    switch (param.kind) {
      case 'client':
        args[i] = client;
        break;
      case 'data':
        args[i] =
          param.property === undefined
            ? data
            : (data as Record<string, unknown> | null | undefined)?.[param.property];
        break;
      case 'ack':
        args[i] = [client, data, event, pattern].find((arg) => typeof arg === 'function');
        break;
      case 'event':
        args[i] = event;
        break;
      case 'pattern':
        args[i] = pattern;
        break;
      case 'null':
        args[i] = null;
        break;
      default:
        args[i] = undefined;
    }
  }
  return args;
}

import type { FastifyRequest } from 'fastify';

type Segment = { kind: 'static'; text: string } | { kind: 'param' } | { kind: 'wildcard' };

interface RoutePattern {
  segments: Segment[];
  methods: Set<string>;
}

const segmentsOf = (url: string): Segment[] =>
  url
    .split('/')
    .slice(1)
    .map((text): Segment =>
      text === '*' ? { kind: 'wildcard' } : text.startsWith(':') ? { kind: 'param' } : { kind: 'static', text },
    );

const matches = (pattern: Segment[], path: string[]): boolean => {
  for (let index = 0; index < pattern.length; index++) {
    const segment = pattern[index]!;
    if (segment.kind === 'wildcard') return true;
    const part = path[index];
    if (part === undefined) return false;
    if (segment.kind === 'static' ? part !== segment.text : part === '') return false;
  }
  return pattern.length === path.length;
};

/**
 * Every route's path pattern and methods, as Fastify registers them (`onRoute`), to tell a wrong method on a known path
 * (405 with `Allow`) from an unknown path (404). Only unrouted requests ask, so routing itself costs nothing more.
 */
export class RouteMethods {
  readonly #patterns = new Map<string, RoutePattern>();

  add(method: string | string[], url: string): void {
    let pattern = this.#patterns.get(url);
    if (!pattern) {
      pattern = { segments: segmentsOf(url), methods: new Set() };
      this.#patterns.set(url, pattern);
    }
    for (const one of Array.isArray(method) ? method : [method]) pattern.methods.add(one.toUpperCase());
  }

  /** The methods some route serves at this request path (no query), sorted; empty when no route has the path. */
  allowedAt(path: string): string[] {
    const parts = path.split('/').slice(1);
    const allowed = new Set<string>();
    for (const { segments, methods } of this.#patterns.values()) {
      if (matches(segments, parts)) for (const method of methods) allowed.add(method);
    }
    return [...allowed].sort();
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by `createApiApp`: the methods served at a path, for 405 answers. */
    routeMethods?: RouteMethods;
  }
}

/** The methods served at the request's path, when the request's own method is not one of them. */
export function otherMethodsAt(request: Pick<FastifyRequest, 'method' | 'url' | 'server'>): string[] {
  const allowed = request.server.routeMethods?.allowedAt(request.url.split('?')[0]!) ?? [];
  return allowed.includes(request.method) ? [] : allowed;
}

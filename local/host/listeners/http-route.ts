/**
 * Matching request paths against Functions route templates (`products/{category}/{id?}`,
 * `files/{*path}`, constraints like `{id:int}` accepted and checked loosely). Route matching is
 * case-insensitive, as in ASP.NET Core routing.
 */

export interface CompiledRoute {
  readonly template: string;
  match(path: string): Record<string, string> | undefined;
}

interface Segment {
  readonly literal?: string;
  readonly parameter?: string;
  readonly optional?: boolean;
  readonly catchAll?: boolean;
  readonly constraint?: string;
}

function parseSegment(text: string): Segment {
  const parameter = /^\{(\*)?([A-Za-z_][\w]*)(?::([A-Za-z]+)(?:\([^)]*\))?)?(\?)?\}$/.exec(text);
  if (!parameter) return { literal: text.toLowerCase() };
  return {
    parameter: parameter[2],
    catchAll: parameter[1] === '*',
    constraint: parameter[3]?.toLowerCase(),
    optional: parameter[4] === '?',
  };
}

function satisfies(constraint: string | undefined, value: string): boolean {
  switch (constraint) {
    case 'int':
    case 'long':
      return /^-?\d+$/.test(value);
    case 'bool':
      return /^(true|false)$/i.test(value);
    case 'guid':
      return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
    case 'alpha':
      return /^[a-z]+$/i.test(value);
    default:
      return true;
  }
}

export function compileRoute(template: string): CompiledRoute {
  const segments = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((part) => part.length > 0)
    .map(parseSegment);
  return {
    template,
    match(path) {
      const parts = path
        .replace(/^\/+|\/+$/g, '')
        .split('/')
        .filter((part) => part.length > 0);
      const params: Record<string, string> = {};
      for (let index = 0; index < segments.length; index++) {
        const segment = segments[index] as Segment;
        if (segment.catchAll && segment.parameter !== undefined) {
          params[segment.parameter] = parts.slice(index).map(decodeURIComponent).join('/');
          return params;
        }
        const part = parts[index];
        if (part === undefined) {
          if (segment.optional) continue;
          return undefined;
        }
        const value = decodeURIComponent(part);
        if (segment.literal !== undefined) {
          if (value.toLowerCase() !== segment.literal) return undefined;
        } else if (segment.parameter !== undefined) {
          if (!satisfies(segment.constraint, value)) return undefined;
          params[segment.parameter] = value;
        }
      }
      return parts.length <= segments.length ? params : undefined;
    },
  };
}

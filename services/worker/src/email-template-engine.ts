/**
 * A small, safe subset of FreeMarker — the template language of FusionAuth's email templates — so
 * templates written for FusionAuth render here unchanged for the variables its transactional emails
 * document (`user`, `application`, `tenant`, `verificationId`, `verificationOneTimeCode`,
 * `changePasswordId`, `code`, `oneTimeCode`, `state`…):
 *
 * - `${path}` — a dotted path into the values (`${user.email}`, `${user.data.company}`); a missing
 *   value renders as nothing. `${path!"fallback"}` / `${path!}` give a default. Built-ins: `?html`,
 *   `?url`, `?upper_case`, `?lower_case`, `?cap_first`, `?trim`, `?c`, `?has_content`, `?string`.
 * - `[#if cond]…[#elseif cond]…[#else]…[/#if]` (and the `<#if>` spelling), where `cond` is
 *   `path`, `path??`, `!cond`, `cond && cond`, `cond || cond`, `path == "text"`, `path != "text"`.
 * - `[#-- comment --]`, `[#setting …]` and `[#ftl …]` are dropped.
 *
 * Nothing is evaluated as code: paths read own properties of plain data only. In HTML bodies every
 * interpolation is HTML-escaped (a `?html` is then a no-op, never double escaping).
 */

export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError';
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; expression: string }
  | { kind: 'if'; branches: { condition: string; body: Node[] }[]; otherwise: Node[] };

export type TemplateValues = Record<string, unknown>;

const TAG = /\$\{([^}]*)\}|[[<]#--[\s\S]*?--[\]>]|[[<](\/?)#(\w+)([^\]>]*)[\]>]/g;

/** Parses a template, throwing {@link TemplateSyntaxError} naming the problem. */
export function parseTemplate(source: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Extract<Node, { kind: 'if' }>; target: Node[] }[] = [];
  let target = root;
  let last = 0;
  for (const match of source.matchAll(TAG)) {
    if (match.index > last) target.push({ kind: 'text', text: source.slice(last, match.index) });
    last = match.index + match[0].length;
    const [whole, expression, closing, directive, rest = ''] = match;
    if (expression !== undefined) {
      if (expression.trim() === '') throw new TemplateSyntaxError('an empty ${} interpolation');
      checkPath(expression.trim().split(/[!?]/)[0]!.trim());
      target.push({ kind: 'value', expression: expression.trim() });
      continue;
    }
    if (whole.startsWith('[#--') || whole.startsWith('<#--')) continue;
    switch (`${closing}${directive}`) {
      case 'if': {
        const node: Extract<Node, { kind: 'if' }> = { kind: 'if', branches: [{ condition: condition(rest), body: [] }], otherwise: [] };
        target.push(node);
        stack.push({ node, target });
        target = node.branches[0]!.body;
        break;
      }
      case 'elseif':
      case 'else': {
        const open = stack[stack.length - 1];
        if (!open) throw new TemplateSyntaxError(`[#${directive}] without [#if]`);
        if (directive === 'elseif') {
          const branch = { condition: condition(rest), body: [] as Node[] };
          open.node.branches.push(branch);
          target = branch.body;
        } else target = open.node.otherwise;
        break;
      }
      case '/if': {
        const open = stack.pop();
        if (!open) throw new TemplateSyntaxError('[/#if] without [#if]');
        target = open.target;
        break;
      }
      case 'setting':
      case 'ftl':
        break;
      default:
        throw new TemplateSyntaxError(`the directive [${closing}#${directive}] is not supported`);
    }
  }
  if (stack.length > 0) throw new TemplateSyntaxError('[#if] without [/#if]');
  if (last < source.length) target.push({ kind: 'text', text: source.slice(last) });
  if (root.some((n) => n.kind === 'text' && n.text.includes('${'))) throw new TemplateSyntaxError('an unclosed ${ interpolation');
  return root;
}

function condition(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') throw new TemplateSyntaxError('[#if] without a condition');
  return trimmed;
}

function checkPath(path: string): void {
  if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*|\[\s*"[^"]*"\s*\])*$/.test(path)) throw new TemplateSyntaxError(`[${path}] is not a variable`);
}

/** Renders `source` with `values`; `html` escapes every interpolation for an HTML body. */
export function renderTemplate(source: string, values: TemplateValues, options: { html: boolean }): string {
  return renderNodes(parseTemplate(source), values, options.html);
}

function renderNodes(nodes: Node[], values: TemplateValues, html: boolean): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'value') {
      const text = interpolate(node.expression, values);
      out += html ? escapeHtml(text) : text;
    } else {
      const branch = node.branches.find((b) => truthy(b.condition, values));
      out += renderNodes(branch ? branch.body : node.otherwise, values, html);
    }
  }
  return out;
}

function interpolate(expression: string, values: TemplateValues): string {
  const [head, ...builtins] = expression.split('?');
  const value = evaluate(head!.trim(), values);
  let text = value === undefined || value === null || typeof value === 'object' ? '' : String(value);
  for (const builtin of builtins.map((b) => b.trim())) {
    if (builtin === 'url') text = encodeURIComponent(text);
    else if (builtin === 'upper_case') text = text.toUpperCase();
    else if (builtin === 'lower_case') text = text.toLowerCase();
    else if (builtin === 'cap_first') text = text.charAt(0).toUpperCase() + text.slice(1);
    else if (builtin === 'trim') text = text.trim();
    else if (builtin === 'has_content') text = String(text !== '');
    // ?html, ?c, ?string and other built-ins leave the text as it is (HTML bodies escape anyway).
  }
  return text;
}

/** `path`, `"literal"`, or FreeMarker's default operator `a!b!"c"` (the first present value). */
function evaluate(expression: string, values: TemplateValues): unknown {
  const quoted = /^"((?:[^"\\]|\\.)*)"$|^'((?:[^'\\]|\\.)*)'$/.exec(expression);
  if (quoted) return quoted[1] ?? quoted[2] ?? '';
  const bang = expression.indexOf('!');
  if (bang < 0) return lookup(expression, values);
  const value = lookup(expression.slice(0, bang).trim(), values);
  if (value !== undefined && value !== null) return value;
  const rest = expression.slice(bang + 1).trim();
  return rest === '' ? '' : evaluate(rest, values);
}

/** Own properties of plain data only: no prototype, no functions. */
function lookup(path: string, values: TemplateValues): unknown {
  let current: unknown = values;
  for (const raw of path.split(/\.|\[\s*"|"\s*\]/).filter((p) => p !== '')) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, raw)) return undefined;
    current = (current as Record<string, unknown>)[raw];
    if (typeof current === 'function') return undefined;
  }
  return current;
}

function truthy(condition: string, values: TemplateValues): boolean {
  const or = splitTopLevel(condition, '||');
  if (or.length > 1) return or.some((c) => truthy(c, values));
  const and = splitTopLevel(condition, '&&');
  if (and.length > 1) return and.every((c) => truthy(c, values));
  const text = condition.trim().replace(/^\((.*)\)$/, '$1').trim();
  if (text.startsWith('!')) return !truthy(text.slice(1), values);
  const comparison = /^(.+?)\s*(==|!=)\s*(?:"([^"]*)"|'([^']*)'|(\S+))$/.exec(text);
  if (comparison) {
    const left = lookup(comparison[1]!.trim(), values);
    const right = comparison[3] ?? comparison[4] ?? comparison[5]!;
    const equal = left !== undefined && left !== null && String(left) === right;
    return comparison[2] === '==' ? equal : !equal;
  }
  if (text.endsWith('??')) {
    const value = lookup(text.slice(0, -2).trim(), values);
    return value !== undefined && value !== null;
  }
  const value = lookup(text.replace(/\?has_content$/, ''), values);
  return value !== undefined && value !== null && value !== false && value !== '' && !(Array.isArray(value) && value.length === 0);
}

function splitTopLevel(text: string, operator: string): string[] {
  return text.split(operator).map((part) => part.trim());
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// `portunus status`: what a running `portunus serve` thinks of its input, from its admin server.

import { parseArgs } from 'node:util';
import type { Command } from './main.ts';

const DEFAULT_ADMIN = 'http://127.0.0.1:19000';

const HELP = `Usage: portunus status [--admin URL] [-o table|json|yaml]

Shows every resource a running 'portunus serve' reads, with its computed status conditions
(listeners and route parents included), plus file/validation diagnostics and listeners that
could not be bound.

Options:
      --admin URL            admin server of the running portunus (default ${DEFAULT_ADMIN})
  -o, --output FORMAT        table (default) | json | yaml
  -h, --help                 this help

Exit status: 0 when the status was shown, 1 when the admin server could not be reached.`;

interface Condition {
  type: string;
  status: string;
  reason?: string;
}

interface StatusResource {
  kind: string;
  metadata: { name: string; namespace?: string };
  status?: {
    conditions?: Condition[];
    listeners?: { name: string; attachedRoutes?: number; conditions?: Condition[] }[];
    parents?: { parentRef: ParentRef; conditions?: Condition[] }[];
    ancestors?: { ancestorRef: ParentRef; conditions?: Condition[] }[];
  };
}

interface ParentRef {
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

interface StatusBody {
  version?: string | null;
  ready?: boolean;
  lastReload?: { time: string; ok: boolean; error?: string } | null;
  resources?: StatusResource[];
  diagnostics?: { text?: string; severity: string; message: string }[];
  applyErrors?: { listener: string; port: number; code: string; message: string }[];
  workers?: { id: number; pid: number | null; state: string; version: string | null; restarts: number }[];
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      admin: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export const statusCommand: Command = {
  summary: 'show the status of a running portunus serve (from its admin server)',
  async run(args: string[]): Promise<number> {
    let values: ReturnType<typeof parse>['values'];
    try {
      values = parse(args).values;
    } catch (err) {
      process.stderr.write(`portunus status: ${(err as Error).message}\n\n${HELP}\n`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const output = values.output ?? 'table';
    if (!['table', 'json', 'yaml'].includes(output)) {
      process.stderr.write(`portunus status: -o must be table, json or yaml\n\n${HELP}\n`);
      return 2;
    }
    const base = (values.admin ?? DEFAULT_ADMIN).replace(/\/+$/, '');
    const url = `${/^https?:\/\//.test(base) ? base : `http://${base}`}/status`;
    let body: StatusBody;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = (await res.json()) as StatusBody;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      process.stderr.write(
        `portunus status: cannot get ${url}: ${cause ?? (err as Error).message}\n` +
          `Is 'portunus serve' running? Its admin address is set with --admin-address/--admin-port.\n`,
      );
      return 1;
    }
    if (output === 'json') process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    else if (output === 'yaml') {
      const { stringify } = await import('yaml');
      process.stdout.write(stringify(body, { lineWidth: 0, aliasDuplicateObjects: false }));
    } else process.stdout.write(renderTable(body));
    return 0;
  },
};

function conditionsText(conditions: Condition[] | undefined): string {
  if (!conditions || conditions.length === 0) return '-';
  return conditions.map((c) => `${c.type}=${c.status}${c.reason ? `(${c.reason})` : ''}`).join(' ');
}

function refText(ref: ParentRef, defaultNamespace: string | undefined): string {
  const ns = ref.namespace ?? defaultNamespace;
  let s = `${ref.kind ?? 'Gateway'}/${ns ? `${ns}/` : ''}${ref.name}`;
  if (ref.sectionName) s += `/${ref.sectionName}`;
  if (ref.port !== undefined) s += `:${ref.port}`;
  return s;
}

/** The rows of the table: one per resource, one per listener, one per route parent / policy ancestor. */
export function statusRows(body: StatusBody): string[][] {
  const rows: string[][] = [];
  for (const r of body.resources ?? []) {
    const ns = r.metadata.namespace ?? '';
    const st = r.status ?? {};
    const subRows: string[][] = [];
    for (const l of st.listeners ?? []) {
      const attached = l.attachedRoutes !== undefined ? ` attachedRoutes=${l.attachedRoutes}` : '';
      subRows.push(['  Listener', ns, `${r.metadata.name}/${l.name}`, conditionsText(l.conditions) + attached]);
    }
    for (const p of st.parents ?? []) {
      subRows.push(['  Parent', ns, r.metadata.name, `${refText(p.parentRef, ns)}: ${conditionsText(p.conditions)}`]);
    }
    for (const a of st.ancestors ?? []) {
      subRows.push([
        '  Ancestor',
        ns,
        r.metadata.name,
        `${refText(a.ancestorRef, ns)}: ${conditionsText(a.conditions)}`,
      ]);
    }
    const own = st.conditions && st.conditions.length > 0;
    if (own || subRows.length === 0) rows.push([r.kind, ns, r.metadata.name, conditionsText(st.conditions)]);
    else rows.push([r.kind, ns, r.metadata.name, '']);
    rows.push(...subRows);
  }
  return rows;
}

export function renderTable(body: StatusBody): string {
  const header = ['KIND', 'NAMESPACE', 'NAME', 'CONDITIONS'];
  const rows = [header, ...statusRows(body)];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]!.padEnd(widths[2]!)}  ${r[3]}`.trimEnd(),
  );
  const last = body.lastReload;
  lines.push(
    '',
    `version: ${body.version ?? '-'}  ready: ${body.ready ? 'yes' : 'no'}  last reload: ${
      last ? `${last.time} ${last.ok ? 'ok' : 'with errors'}${last.error ? ` (${last.error})` : ''}` : '-'
    }`,
  );
  if (body.workers && body.workers.length > 0) {
    // One line: the usual state is every worker serving the current version.
    const w = body.workers.map(
      (x) =>
        `${x.id}:${x.pid ?? '-'} ${x.state}${x.version !== body.version ? ` (version ${x.version ?? '-'})` : ''}${
          x.restarts > 0 ? ` restarts ${x.restarts}` : ''
        }`,
    );
    lines.push(`workers: ${w.join(', ')}`);
  }
  const applyErrors = body.applyErrors ?? [];
  if (applyErrors.length > 0) {
    lines.push('', 'LISTENERS NOT SERVING:');
    for (const e of applyErrors) lines.push(`  ${e.listener} port ${e.port}: ${e.code}: ${e.message}`);
  }
  const diagnostics = body.diagnostics ?? [];
  if (diagnostics.length > 0) {
    lines.push('', 'DIAGNOSTICS:');
    for (const d of diagnostics) lines.push(`  ${d.text ?? `${d.severity}: ${d.message}`}`);
  }
  return `${lines.join('\n')}\n`;
}

import type { Database as Db, Statement } from 'better-sqlite3';

/**
 * Users per (last name, tenant) of one index version, kept in the write's transaction. A search
 * sorted by lastName reads from it how many users each surname group holds, which the lastName
 * index could only tell by walking the group (milliseconds for a surname shared by 80,000 users).
 * Search results depend on these counts being exact (see `surnamePage`), so every write that adds,
 * changes or removes a document's last name or tenant goes through `move`, then `flush` before
 * the commit. A count reaching zero drops its row: an erased user's surname stays only while
 * another user of the tenant has it.
 */
export class LastNameCounts {
  constructor(
    readonly table: string,
    private readonly stmt: (sql: string) => Statement,
  ) {}

  /** Creates the table, filled from the users table when the version predates it (once, O(users)). */
  static ensure(db: Db, table: string, users: string): void {
    const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;
    if (exists) return;
    db.exec(`
      CREATE TABLE ${table} (last_name TEXT NOT NULL, tenant_id TEXT NOT NULL, users INTEGER NOT NULL, PRIMARY KEY (last_name, tenant_id)) WITHOUT ROWID;
      INSERT INTO ${table} (last_name, tenant_id, users)
        SELECT last_name, tenant_id, count(*) FROM ${users} WHERE last_name IS NOT NULL AND tenant_id IS NOT NULL GROUP BY last_name, tenant_id;
    `);
  }

  /** Changes not written yet: tenant → last name → users added (negative: removed). */
  private readonly deltas = new Map<string, Map<string, number>>();

  /**
   * A document's (tenant, last name) before and after a write; null where there is none (absent,
   * tombstone, no last name). Gathered per surname and written by `flush`: a batch of an import
   * adds to a few hundred surnames, not a thousand times.
   */
  move(before: { tenantId: string | null; lastName: string | null } | undefined, after: { tenantId: string | null; lastName: string | null }): void {
    const from = before?.tenantId != null && before.lastName != null ? before : undefined;
    const to = after.tenantId != null && after.lastName != null ? after : undefined;
    if (from && to && from.tenantId === to.tenantId && from.lastName === to.lastName) return;
    if (from) this.add(from.lastName!, from.tenantId!, -1);
    if (to) this.add(to.lastName!, to.tenantId!, 1);
  }

  private add(lastName: string, tenantId: string, delta: number): void {
    let tenant = this.deltas.get(tenantId);
    if (!tenant) this.deltas.set(tenantId, (tenant = new Map()));
    tenant.set(lastName, (tenant.get(lastName) ?? 0) + delta);
  }

  /** Writes the gathered changes (inside the write's transaction). */
  flush(): void {
    for (const [tenantId, tenant] of this.deltas) {
      for (const [lastName, delta] of tenant) this.write(lastName, tenantId, delta);
    }
    this.deltas.clear();
  }

  private write(lastName: string, tenantId: string, delta: number): void {
    if (delta === 0) return;
    this.stmt(`INSERT INTO ${this.table} (last_name, tenant_id, users) VALUES (?, ?, ?) ON CONFLICT (last_name, tenant_id) DO UPDATE SET users = users + excluded.users`)
      .run(lastName, tenantId, delta);
    if (delta < 0) this.stmt(`DELETE FROM ${this.table} WHERE last_name = ? AND tenant_id = ? AND users <= 0`).run(lastName, tenantId);
  }

  /** Users with this last name: in the tenant, or in every tenant when it is undefined. */
  users(lastName: string, tenantId?: string): number {
    if (tenantId === undefined) return this.stmt(`SELECT coalesce(sum(users), 0) FROM ${this.table} WHERE last_name = ?`).pluck().get(lastName) as number;
    return (this.stmt(`SELECT users FROM ${this.table} WHERE last_name = ? AND tenant_id = ?`).pluck().get(lastName, tenantId) as number | undefined) ?? 0;
  }
}

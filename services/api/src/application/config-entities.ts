/**
 * Create, replace and delete of configuration entities through the generic command handler, each
 * write answering only once the configuration views show it (read-your-writes).
 */
import { randomUUID } from 'node:crypto';
import { handleCommand } from '@idstream/commands';
import { configDecider, configKinds, entityStream, NotFoundError, type ConfigDocument, type ConfigKind } from '@idstream/domain';
import type { EventMetadata } from '@idstream/eventstore';
import type { AppContext } from './context.js';

export class ConfigEntities {
  constructor(private readonly ctx: AppContext) {}

  async create<D extends ConfigDocument>(kind: ConfigKind, document: Omit<D, 'id'> & { id?: string }, metadata?: EventMetadata): Promise<D> {
    const now = this.ctx.now();
    const full = { ...document, id: (document.id ?? randomUUID()).toLowerCase(), insertInstant: now, lastUpdateInstant: now } as unknown as D;
    await this.write(kind, full.id, { type: 'Create', document: full }, metadata);
    return full;
  }

  async replace<D extends ConfigDocument>(kind: ConfigKind, document: D, metadata?: EventMetadata): Promise<D> {
    const existing = await this.get(kind, document.id);
    if (!existing) throw new NotFoundError(`${kind} ${document.id}`);
    const full = { ...document, insertInstant: existing.insertInstant, lastUpdateInstant: this.ctx.now() } as D;
    await this.write(kind, document.id, { type: 'Replace', document: full }, metadata);
    return full;
  }

  async delete(kind: ConfigKind, id: string, metadata?: EventMetadata): Promise<void> {
    await this.write(kind, id, { type: 'Delete', id }, metadata);
  }

  async get<D extends ConfigDocument = ConfigDocument>(kind: ConfigKind, id: string): Promise<D | undefined> {
    return (await this.ctx.readModels.config[kind].get(id.toLowerCase()))?.body as D | undefined;
  }

  async list<D extends ConfigDocument = ConfigDocument>(kind: ConfigKind, tenantId?: string): Promise<D[]> {
    const documents = await this.ctx.readModels.config[kind].list({ ...(tenantId && { tenantId }), limit: 100_000 });
    return documents.map((d) => d.body as D);
  }

  private async write(kind: ConfigKind, id: string, command: Parameters<ReturnType<typeof configDecider>['decide']>[0], metadata?: EventMetadata) {
    const result = await handleCommand(this.ctx.eventStore, entityStream(configKinds[kind], id), id, configDecider(kind), command, {
      ...(metadata && { metadata }),
    });
    await this.ctx.waiters.config.waitFor(result.position);
  }
}

import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { describeWithServer } from '@idstream/testkit';
import { openElasticsearchIndex } from '../src/elasticsearch.js';
import type { SearchIndex } from '../src/port.js';
import { searchIndexContract } from './contract.js';

describeWithServer('Elasticsearch search contract', 'ELASTICSEARCH_URL', (url) => {
  searchIndexContract('Elasticsearch', async () => {
    const client = new Client({ node: url });
    const indexPrefix = `idstream-test-${randomUUID().slice(0, 8)}`;
    const index = openElasticsearchIndex({ indexPrefix, client });
    // Each test gets its own indexes; close removes them.
    const cleanup: SearchIndex = Object.create(index);
    cleanup.close = async () => {
      await client.indices.delete({ index: `${indexPrefix}-*`, ignore_unavailable: true });
      await client.close();
    };
    return cleanup;
  });
});

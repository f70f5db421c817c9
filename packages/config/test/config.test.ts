import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/index.js';

describe('loadConfig', () => {
  it('uses the documented defaults on an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(9011);
    expect(config.dataDir).toBe('./data');
    expect(config.roles).toEqual(['api', 'projector', 'worker']);
    expect(config.kurrentDbUrl).toBeUndefined();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['KURRENTDB_URL', 'http://nope'],
    ['MONGODB_URL', 'not a url'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['IDSTREAM_ROLES', 'api,cron'],
    ['IDSTREAM_MASTER_KEY', 'c2hvcnQ='],
    ['IDSTREAM_API_KEY', 'short'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrowError(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrowError(name);
  });

  it('reads production adapter URLs and roles', () => {
    const config = loadConfig({
      KURRENTDB_URL: 'kurrentdb://localhost:2113?tls=false',
      MONGODB_URL: 'mongodb://localhost:27017',
      ELASTICSEARCH_URL: 'http://localhost:9200',
      REDIS_URL: 'redis://localhost:6379',
      IDSTREAM_ROLES: 'projector',
    });
    expect(config.roles).toEqual(['projector']);
    expect(config.redisUrl).toBe('redis://localhost:6379');
  });
});

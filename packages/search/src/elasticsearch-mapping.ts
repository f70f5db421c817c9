/**
 * The users index mapping. Strings FusionAuth users search by are lower-case-normalised keywords
 * (term, wildcard and sort ignore case) with a `.text` subfield for word matching. `registrations`
 * and `memberships` are `nested`, as in FusionAuth, so its documented raw queries work unchanged.
 *
 * `data` (and registration/membership `data`) is arbitrary JSON. Dynamic mapping would fix a field's
 * type from the first user and then reject users whose value has another type (FusionAuth issue
 * #1149). Here every scalar under `data` is a keyword (`"5"`, `"true"`, `"gold"`) with a `.num`
 * double subfield (`ignore_malformed`) for numeric ranges, so a string/number/boolean change never
 * fails a document. A scalar/object change still would: the adapter then indexes that user without
 * `data` rather than not at all.
 */
const normalizedKeyword = { type: 'keyword', normalizer: 'idstream_lowercase', fields: { text: { type: 'text' } } };
const dataLeaf = {
  type: 'keyword',
  ignore_above: 1024,
  fields: { num: { type: 'double', ignore_malformed: true }, text: { type: 'text' } },
};
export const DATA_ROOTS = ['data', 'registrations.data', 'memberships.data'];

const dataTemplates = DATA_ROOTS.flatMap((root) =>
  ['string', 'long', 'double', 'boolean'].map((type) => ({
    [`${root.replace('.', '_')}_${type}`]: { path_match: `${root}.*`, match_mapping_type: type, mapping: dataLeaf },
  })),
);

export const usersIndexSettings = {
  analysis: { normalizer: { idstream_lowercase: { type: 'custom', filter: ['lowercase'] } } },
};

export const usersIndexMappings = {
  date_detection: false,
  numeric_detection: false,
  dynamic_templates: [...dataTemplates, { other_strings: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 1024 } } }],
  properties: {
    id: { type: 'keyword' },
    tenantId: { type: 'keyword' },
    deleted: { type: 'boolean' },
    email: normalizedKeyword,
    username: normalizedKeyword,
    firstName: normalizedKeyword,
    lastName: normalizedKeyword,
    middleName: normalizedKeyword,
    fullName: normalizedKeyword,
    mobilePhone: { type: 'keyword' },
    active: { type: 'boolean' },
    verified: { type: 'boolean' },
    insertInstant: { type: 'long' },
    lastLoginInstant: { type: 'long' },
    lastUpdateInstant: { type: 'long' },
    birthDate: { type: 'keyword' },
    data: { type: 'object' },
    registrations: {
      type: 'nested',
      properties: {
        id: { type: 'keyword' },
        applicationId: { type: 'keyword' },
        roles: { type: 'keyword' },
        username: normalizedKeyword,
        verified: { type: 'boolean' },
        insertInstant: { type: 'long' },
        lastLoginInstant: { type: 'long' },
        data: { type: 'object' },
      },
    },
    memberships: {
      type: 'nested',
      properties: { id: { type: 'keyword' }, groupId: { type: 'keyword' }, insertInstant: { type: 'long' }, data: { type: 'object' } },
    },
  },
};

export const checkpointsMappings = {
  dynamic: false,
  properties: { name: { type: 'keyword' }, version: { type: 'integer' }, position: { type: 'long' } },
};

/** Numeric ranges on `data` fields compare the `.num` subfield, not the keyword text. */
export function rewriteDataRanges(query: unknown): unknown {
  if (Array.isArray(query)) return query.map(rewriteDataRanges);
  if (!query || typeof query !== 'object') return query;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    if (key === 'range' && value && typeof value === 'object' && !Array.isArray(value)) {
      const range: Record<string, unknown> = {};
      for (const [field, bounds] of Object.entries(value as Record<string, unknown>)) {
        const numeric = bounds && typeof bounds === 'object' && ['gt', 'gte', 'lt', 'lte'].some((k) => typeof (bounds as Record<string, unknown>)[k] === 'number');
        const isData = DATA_ROOTS.some((root) => field.startsWith(`${root}.`)) && !field.endsWith('.num');
        range[numeric && isData ? `${field}.num` : field] = bounds;
      }
      out[key] = range;
    } else {
      out[key] = rewriteDataRanges(value);
    }
  }
  return out;
}

/**
 * What each kind of file carries: the fields an importer reads, and the header names that mean each field when no
 * mapping file says otherwise. Header names are compared by `headerKey` (case, spaces and punctuation ignored), so
 * "E-mail", "email" and "EMAIL" are one name.
 */

export const IMPORT_KINDS = ['leads', 'companies', 'orders'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export const FIELDS = {
  leads: ['id', 'email', 'name', 'first_name', 'last_name', 'title', 'phone', 'company', 'company_id', 'company_domain', 'owner', 'industry', 'region', 'date'],
  companies: ['id', 'name', 'domain', 'industry', 'size', 'region', 'owner', 'date'],
  orders: ['order_id', 'user_id', 'email', 'revenue', 'currency', 'date', 'company_id', 'company_domain', 'products'],
} as const satisfies Record<ImportKind, readonly string[]>;

export type FieldOf<K extends ImportKind> = (typeof FIELDS)[K][number];
export type AnyField = FieldOf<ImportKind>;

/** Ordered by preference: when a file has two of them, the earlier one is used. */
export const DEFAULT_HEADERS: { readonly [K in ImportKind]: { readonly [F in FieldOf<K>]: readonly string[] } } = {
  leads: {
    id: ['Lead ID', 'Contact ID', 'CRM ID', 'Record ID', 'User ID', 'ID'],
    email: ['Email', 'E-mail', 'Email Address', 'E-mail Address', 'Work Email'],
    name: ['Name', 'Full Name', 'Lead Name', 'Contact Name'],
    first_name: ['First Name', 'Given Name'],
    last_name: ['Last Name', 'Surname', 'Family Name'],
    title: ['Job Title', 'Title', 'Position', 'Role'],
    phone: ['Phone', 'Phone Number', 'Mobile', 'Telephone'],
    company: ['Company', 'Company Name', 'Account', 'Account Name', 'Organization'],
    company_id: ['Company ID', 'Account ID', 'Organization ID'],
    company_domain: ['Company Domain', 'Domain', 'Website', 'Company Website'],
    owner: ['Owner', 'Lead Owner', 'Contact Owner', 'Sales Rep', 'Account Owner'],
    industry: ['Industry', 'Sector'],
    region: ['Region', 'Territory', 'Sales Region'],
    date: ['Created At', 'Created Date', 'Created On', 'Create Date'],
  },
  companies: {
    id: ['Company ID', 'Account ID', 'Organization ID', 'Record ID', 'ID'],
    name: ['Company', 'Company Name', 'Account Name', 'Account', 'Organization', 'Name'],
    domain: ['Domain', 'Company Domain', 'Website', 'Company Website', 'URL'],
    industry: ['Industry', 'Sector'],
    size: ['Employees', 'Employee Count', 'Number of Employees', 'Company Size', 'Size', 'Headcount'],
    region: ['Region', 'Territory', 'Sales Region'],
    owner: ['Owner', 'Account Owner', 'Company Owner', 'Sales Rep'],
    date: ['Created At', 'Created Date', 'Created On', 'Create Date'],
  },
  orders: {
    order_id: ['Order ID', 'Order Number', 'Order No', 'Order #', 'Order'],
    user_id: ['User ID', 'Customer ID', 'Contact ID', 'Lead ID', 'Buyer ID'],
    email: ['Email', 'E-mail', 'Customer Email', 'Buyer Email', 'Email Address'],
    revenue: ['Revenue', 'Amount', 'Order Total', 'Order Amount', 'Total Amount', 'Total'],
    currency: ['Currency', 'Currency Code'],
    date: ['Order Date', 'Date', 'Purchase Date', 'Completed At', 'Created At', 'Created Date'],
    company_id: ['Company ID', 'Account ID', 'Organization ID'],
    company_domain: ['Company Domain', 'Domain'],
    products: ['Products', 'Items', 'Line Items'],
  },
};

/**
 * Which columns a file must have for its rows to mean anything: each inner list is satisfied by any one of its
 * fields. Checked once against the header, so a file without an email column fails at once instead of row by row.
 */
export const REQUIRED_FIELDS: { readonly [K in ImportKind]: readonly (readonly FieldOf<K>[])[] } = {
  leads: [['id', 'email']],
  companies: [['id', 'domain']],
  orders: [['order_id'], ['revenue'], ['user_id', 'email']],
};

/** How header names are compared: "Job Title", "job_title" and "JOB-TITLE" are the same column. */
export function headerKey(header: string): string {
  return header.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

export function isImportKind(value: string): value is ImportKind {
  return (IMPORT_KINDS as readonly string[]).includes(value);
}

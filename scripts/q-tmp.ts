import { rollupSettings, resolvedEvents, leadsStage, ordersStage, plainScan } from '@leadscore/analytics';
const t = { database: 'bench_rollups_f70715', asOf: new Date('2026-11-30T12:00:00Z'), settings: rollupSettings({ timeZone: 'Asia/Shanghai', rates: { EUR: 1.08 } }) };
const which = process.argv[2];
if (which === 'scan') console.log(plainScan(t));
if (which === 'leads') console.log(leadsStage(t).replace(/^INSERT INTO [^)]*\)\n/, ''));
if (which === 'orders') console.log(ordersStage(t).replace(/^INSERT INTO [^)]*\)\n/, ''));
if (which === 'resolved') console.log('SELECT count() FROM (' + resolvedEvents(t, { message_id: 'message_id', timestamp: 'timestamp' }, '1') + ')');

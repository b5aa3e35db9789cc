/** Device inventory and classification (stage between detect and telescope). */
export { Inventory, initialTtl, isLocalAddress, normalizeMac, type AddressRecord, type AddressSource, type Device, type DeviceRole, type InventoryOptions, type InventoryState, type MacRecord } from './inventory.js';
export { classify, compileRules, loadDeviceRules, readDeviceRules, shippedDeviceRules, parseUserAgent, DEVICE_TYPES, DEFAULT_THRESHOLD, type Classification, type DeviceRuleSet, type DeviceType } from './classify.js';
export { deviceRulesSchemas, validateDeviceRules, type DeviceRule, type DeviceRulesFile } from './rules-file.js';
export { createDeviceObserver, DEVICE_PROTOCOLS, type DeviceObserver, type DeviceProtocol } from './observer.js';
export { attributeDevice } from './attribution.js';
export { lookupVendor, isLocallyAdministered, isGroupMac, parseIeeeCsv } from './oui.js';
export { formatDevices } from './format.js';
export { Baselines, baselineFigures, describeBaseline, type BaselineDescription, type Anomaly, type BaselineDeps, type BaselineOptions, type CountryLookup, type BaselineState, type Connection, type DeviceBaselineState } from './baseline.js';
export { DeviceEventTracker, deviceEvent } from './device-events.js';

/** Fixed facts of the simulated product (cloud-phone-api.md §2, §6). */
export const PRODUCT = 'eds-aic';
export const API_VERSION = '2023-09-30';
/** The gateway host named in error bodies (`HostId`). */
export const HOST_ID = 'eds-aic.cn-shanghai.aliyuncs.com';

/** DescribeAndroidInstances (§3.9): filters, MaxResults 1–100 default 100, NextToken; `Cpu` is a string. */
import { gmtTime, isoTime } from '../format.js';
import { paginate } from '../pagination.js';
import { INSTANCE_STATUSES, type SimInstance, type SimState } from '../state.js';
import { fuzzyMatch, type Operation } from './operation.js';

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

export function instanceModel(instance: SimInstance, state: SimState, now: number) {
  return {
    AndroidInstanceId: instance.id,
    AndroidInstanceName: instance.name,
    AndroidInstanceStatus: instance.status,
    AndroidInstanceGroupId: instance.groupId,
    AndroidInstanceGroupName: instance.groupName,
    ImageId: instance.imageId,
    ImageVersion: instance.imageVersion,
    BizImageType: instance.bizImageType,
    InstanceType: instance.instanceType,
    ServerType: instance.serverType,
    SystemVersion: instance.systemVersion,
    Rate: state.rateOf(instance, now),
    ErrorCode: instance.errorCode,
    RegionId: instance.regionId,
    ZoneId: instance.zoneId,
    Cpu: String(instance.cpu),
    Memory: instance.memoryMb,
    NetworkInterfaceIp: instance.privateIp,
    PublicIpAddress: '',
    ChargeType: 'PrePaid',
    KeyPairId: '',
    SessionStatus: '',
    PolicyGroupId: '',
    GmtCreate: gmtTime(instance.createdAt),
    GmtModified: gmtTime(instance.modifiedAt),
    GmtExpired: isoTime(instance.createdAt + YEAR_MS),
    Tags: [],
  };
}

export const describeAndroidInstances: Operation = {
  mutating: false,
  run({ params, state, now }) {
    const ids = params.list('AndroidInstanceIds', { max: 100 });
    const groupIds = params.list('InstanceGroupIds', { max: 100 });
    const groupId = params.string('InstanceGroupId');
    const status = params.oneOf('Status', INSTANCE_STATUSES);
    const name = params.string('AndroidInstanceName');
    const groupName = params.string('InstanceGroupName');
    const sortType = params.oneOf('SortType', ['ASC', 'DESC']);
    const maxResults = params.int('MaxResults', { min: 1, max: 100, default: 100 });

    const matches = [...state.instances.values()].filter(
      (instance) =>
        (ids.length === 0 || ids.includes(instance.id)) &&
        (groupIds.length === 0 || groupIds.includes(instance.groupId)) &&
        (groupId === undefined || instance.groupId === groupId) &&
        (status === undefined || instance.status === status) &&
        fuzzyMatch(instance.name, name) &&
        fuzzyMatch(instance.groupName, groupName),
    );
    // Creation order, newest first unless SortType=ASC (the documented default is descending).
    const page = paginate(matches, (instance) => instance.seq, {
      scope: 'DescribeAndroidInstances',
      direction: sortType === 'ASC' ? 'asc' : 'desc',
      maxResults,
      nextToken: params.string('NextToken'),
    });
    return {
      TotalCount: page.totalCount,
      NextToken: page.nextToken,
      InstanceModel: page.items.map((instance) => instanceModel(instance, state, now)),
    };
  },
};

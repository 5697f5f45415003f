//! cgroup resource limits of a Linux container (`linux.resources`).
//!
//! Implements runtime-spec config-linux.md, "Control groups": devices,
//! memory, cpu, pids, blockIO, hugepage limits, network, rdma and unified.

use std::collections::BTreeMap;

use crate::codec::model;

model! {
    /// cgroup resource limits (`linux.resources`).
    pub struct Resources ("a resources object") {
        /// OPTIONAL. Device allow/deny list, applied in order.
        devices: Vec<DeviceCgroup> => "devices" (vec),
        /// OPTIONAL. Memory limits.
        memory: Option<Memory> => "memory" (opt),
        /// OPTIONAL. CPU limits.
        cpu: Option<Cpu> => "cpu" (opt),
        /// OPTIONAL. Process number limit.
        pids: Option<Pids> => "pids" (opt),
        /// OPTIONAL. Block I/O limits.
        block_io: Option<BlockIo> => "blockIO" (opt),
        /// OPTIONAL. Hugepage limits.
        hugepage_limits: Vec<HugepageLimit> => "hugepageLimits" (vec),
        /// OPTIONAL. Network class and priorities.
        network: Option<Network> => "network" (opt),
        /// OPTIONAL. RDMA limits, keyed by device name (`mlx5_1`).
        rdma: BTreeMap<String, Rdma> => "rdma" (map),
        /// OPTIONAL. cgroup v2 files and values, written as is.
        unified: BTreeMap<String, String> => "unified" (map),
    }
}

model! {
    /// A device cgroup rule (an entry of `linux.resources.devices`).
    pub struct DeviceCgroup ("a device cgroup object") {
        /// REQUIRED. Allow (true) or deny (false).
        allow: bool => "allow" (req),
        /// OPTIONAL. Device type: `a` (all), `c` or `b`; all when absent.
        typ: Option<String> => "type" (opt),
        /// OPTIONAL. Major number; all when absent.
        major: Option<i64> => "major" (opt),
        /// OPTIONAL. Minor number; all when absent.
        minor: Option<i64> => "minor" (opt),
        /// OPTIONAL. Access: a combination of `r`, `w` and `m`.
        access: Option<String> => "access" (opt),
    }
}

model! {
    /// Memory limits (`linux.resources.memory`). Byte values.
    pub struct Memory ("a memory object") {
        /// OPTIONAL. Limit of memory usage, bytes.
        limit: Option<i64> => "limit" (opt),
        /// OPTIONAL. Soft limit, bytes.
        reservation: Option<i64> => "reservation" (opt),
        /// OPTIONAL. Limit of memory plus swap, bytes.
        swap: Option<i64> => "swap" (opt),
        /// OPTIONAL, deprecated. Kernel memory limit, bytes.
        kernel: Option<i64> => "kernel" (opt),
        /// OPTIONAL, deprecated. Kernel TCP buffer limit, bytes.
        kernel_tcp: Option<i64> => "kernelTCP" (opt),
        /// OPTIONAL. Swappiness, 0 to 100.
        swappiness: Option<u64> => "swappiness" (opt),
        /// OPTIONAL. Disables the OOM killer.
        disable_oom_killer: Option<bool> => "disableOOMKiller" (opt),
        /// OPTIONAL. Enables hierarchical accounting (cgroup v1).
        use_hierarchy: Option<bool> => "useHierarchy" (opt),
        /// OPTIONAL. When true, an update lowering the limit below current
        /// usage MUST fail.
        check_before_update: Option<bool> => "checkBeforeUpdate" (opt),
    }
}

model! {
    /// CPU limits (`linux.resources.cpu`).
    pub struct Cpu ("a cpu object") {
        /// OPTIONAL. Relative share of CPU time.
        shares: Option<u64> => "shares" (opt),
        /// OPTIONAL. CPU time per period, microseconds.
        quota: Option<i64> => "quota" (opt),
        /// OPTIONAL. Burst time per period, microseconds.
        burst: Option<u64> => "burst" (opt),
        /// OPTIONAL. Period of CFS, microseconds.
        period: Option<u64> => "period" (opt),
        /// OPTIONAL. Real-time runtime per period, microseconds.
        realtime_runtime: Option<i64> => "realtimeRuntime" (opt),
        /// OPTIONAL. Real-time period, microseconds.
        realtime_period: Option<u64> => "realtimePeriod" (opt),
        /// OPTIONAL. CPUs allowed, a list like `0-3,7`.
        cpus: Option<String> => "cpus" (opt),
        /// OPTIONAL. Memory nodes allowed, a list like `0-3,7`.
        mems: Option<String> => "mems" (opt),
        /// OPTIONAL. cgroup v2 `cpu.idle`: 1 for `SCHED_IDLE`.
        idle: Option<i64> => "idle" (opt),
    }
}

model! {
    /// Process number limit (`linux.resources.pids`).
    pub struct Pids ("a pids object") {
        /// REQUIRED. Maximum number of tasks; 0 or less is unlimited.
        limit: i64 => "limit" (req),
    }
}

model! {
    /// Block I/O limits (`linux.resources.blockIO`).
    pub struct BlockIo ("a blockIO object") {
        /// OPTIONAL. Relative weight, 10 to 1000.
        weight: Option<u16> => "weight" (opt),
        /// OPTIONAL. Weight for the cgroup's own tasks, 10 to 1000.
        leaf_weight: Option<u16> => "leafWeight" (opt),
        /// OPTIONAL. Per-device weights.
        weight_device: Vec<WeightDevice> => "weightDevice" (vec),
        /// OPTIONAL. Per-device read limits, bytes per second.
        throttle_read_bps_device: Vec<ThrottleDevice> => "throttleReadBpsDevice" (vec),
        /// OPTIONAL. Per-device write limits, bytes per second.
        throttle_write_bps_device: Vec<ThrottleDevice> => "throttleWriteBpsDevice" (vec),
        /// OPTIONAL. Per-device read limits, operations per second.
        throttle_read_iops_device: Vec<ThrottleDevice> => "throttleReadIOPSDevice" (vec),
        /// OPTIONAL. Per-device write limits, operations per second.
        throttle_write_iops_device: Vec<ThrottleDevice> => "throttleWriteIOPSDevice" (vec),
    }
}

model! {
    /// A per-device weight (`blockIO.weightDevice`).
    pub struct WeightDevice ("a weight device object") {
        /// REQUIRED. Major number.
        major: i64 => "major" (req),
        /// REQUIRED. Minor number.
        minor: i64 => "minor" (req),
        /// OPTIONAL. Weight, 10 to 1000.
        weight: Option<u16> => "weight" (opt),
        /// OPTIONAL. Leaf weight, 10 to 1000.
        leaf_weight: Option<u16> => "leafWeight" (opt),
    }
}

model! {
    /// A per-device rate limit (`blockIO.throttle*Device`).
    pub struct ThrottleDevice ("a throttle device object") {
        /// REQUIRED. Major number.
        major: i64 => "major" (req),
        /// REQUIRED. Minor number.
        minor: i64 => "minor" (req),
        /// REQUIRED. The rate: bytes or operations per second.
        rate: u64 => "rate" (req),
    }
}

model! {
    /// A hugepage limit (an entry of `linux.resources.hugepageLimits`).
    pub struct HugepageLimit ("a hugepage limit object") {
        /// REQUIRED. Page size, `<size><unit>` with unit `KB`, `MB` or `GB`
        /// (`2MB`); the format is checked by `validate()`, not by parsing.
        page_size: String => "pageSize" (req),
        /// REQUIRED. Limit of hugetlb usage, bytes.
        limit: u64 => "limit" (req),
    }
}

model! {
    /// Network class and priorities (`linux.resources.network`).
    pub struct Network ("a network object") {
        /// OPTIONAL. Class identifier of the cgroup's packets.
        class_id: Option<u32> => "classID" (opt),
        /// OPTIONAL. Priorities of traffic per interface.
        priorities: Vec<InterfacePriority> => "priorities" (vec),
    }
}

model! {
    /// Priority of traffic on one interface.
    pub struct InterfacePriority ("an interface priority object") {
        /// REQUIRED. Interface name.
        name: String => "name" (req),
        /// REQUIRED. Priority.
        priority: u32 => "priority" (req),
    }
}

model! {
    /// RDMA limits of one device (a value of `linux.resources.rdma`).
    pub struct Rdma ("an rdma object") {
        /// OPTIONAL. Maximum number of HCA handles.
        hca_handles: Option<u32> => "hcaHandles" (opt),
        /// OPTIONAL. Maximum number of HCA objects.
        hca_objects: Option<u32> => "hcaObjects" (opt),
    }
}

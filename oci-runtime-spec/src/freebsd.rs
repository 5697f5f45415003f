//! The FreeBSD section of config.json (`freebsd`): devices and jail settings.
//!
//! Implements runtime-spec config-freebsd.md.

use crate::codec::string_enum;

ocikit_spec_core::model! {
    /// FreeBSD-specific configuration (`freebsd`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct FreeBsd ("a freebsd object") {
        /// OPTIONAL. Devices made available in the container, by devfs
        /// rules.
        devices: Vec<FreeBsdDevice> => "devices" (default),
        /// OPTIONAL. Jail parameters.
        jail: Option<Jail> => "jail" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// A device of the container (an entry of `freebsd.devices`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct FreeBsdDevice ("a FreeBSD device object") {
        /// REQUIRED. Device path relative to `/dev`.
        path: String => "path" (required),
        /// OPTIONAL. File mode of the device.
        mode: Option<u32> => "mode" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Jail parameters (`freebsd.jail`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Jail ("a jail object") {
        /// OPTIONAL. Name of the parent jail; the host when absent.
        parent: Option<String> => "parent" (optional_or_null),
        /// OPTIONAL. Whether the hostname, domain name and host ids are the
        /// container's own (`new`) or the parent's (`inherit`).
        host: Option<SharingModeNoDisable> => "host" (optional_or_null),
        /// OPTIONAL. Availability of IPv4 addresses.
        ip4: Option<SharingMode> => "ip4" (optional_or_null),
        /// OPTIONAL. IPv4 addresses the container may use, numeric.
        ip4_addr: Vec<String> => "ip4Addr" (default),
        /// OPTIONAL. Availability of IPv6 addresses.
        ip6: Option<SharingMode> => "ip6" (optional_or_null),
        /// OPTIONAL. IPv6 addresses the container may use, numeric.
        ip6_addr: Vec<String> => "ip6Addr" (default),
        /// OPTIONAL. A new vnet (`new`) or the parent's (`inherit`);
        /// `disable` is not allowed.
        vnet: Option<SharingModeNoDisable> => "vnet" (optional_or_null),
        /// OPTIONAL. Interface the container's addresses are added to.
        interface: Option<String> => "interface" (optional_or_null),
        /// OPTIONAL. Interfaces moved into the container's vnet.
        vnet_interfaces: Vec<String> => "vnetInterfaces" (default),
        /// OPTIONAL. SysV message queues; `new` when absent.
        sysvmsg: Option<SharingMode> => "sysvmsg" (optional_or_null),
        /// OPTIONAL. SysV semaphores; `new` when absent.
        sysvsem: Option<SharingMode> => "sysvsem" (optional_or_null),
        /// OPTIONAL. SysV shared memory; `new` when absent.
        sysvshm: Option<SharingMode> => "sysvshm" (optional_or_null),
        /// OPTIONAL. Visibility of mounts (jail's `enforce_statfs`), 0 to 2.
        enforce_statfs: Option<u8> => "enforceStatfs" (optional_or_null),
        /// OPTIONAL. Restrictions lifted for the container.
        allow: Option<JailAllow> => "allow" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Restrictions lifted for a jail (`freebsd.jail.allow`). All off by
    /// default except `setHostname` and `reservedPorts`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct JailAllow ("a jail allow object") {
        /// OPTIONAL. May set the hostname.
        set_hostname: Option<bool> => "setHostname" (optional_or_null),
        /// OPTIONAL. May use raw sockets.
        raw_sockets: Option<bool> => "rawSockets" (optional_or_null),
        /// OPTIONAL. May change system file flags.
        chflags: Option<bool> => "chflags" (optional_or_null),
        /// OPTIONAL. Filesystem types the container may mount.
        mount: Vec<String> => "mount" (default),
        /// OPTIONAL. May manipulate quotas.
        quotas: Option<bool> => "quotas" (optional_or_null),
        /// OPTIONAL. May use non-IP socket families.
        socket_af: Option<bool> => "socketAf" (optional_or_null),
        /// OPTIONAL. May lock memory.
        mlock: Option<bool> => "mlock" (optional_or_null),
        /// OPTIONAL. May bind ports below 1024.
        reserved_ports: Option<bool> => "reservedPorts" (optional_or_null),
        /// OPTIONAL. root in the jail has superuser privileges.
        suser: Option<bool> => "suser" (optional_or_null),
    }
}

string_enum! {
    /// Whether a jail shares a resource with its parent.
    ///
    /// Closed: config-freebsd.md and defs-freebsd.json list exactly these
    /// values, the jail(8) parameters they map to take no others, and an
    /// unknown one could not be applied.
    pub enum SharingMode (closed, "FreeBSD sharing mode") {
        /// The resource is not available.
        Disable = "disable",
        /// The container gets its own.
        New = "new",
        /// The container shares the parent's (or host's).
        Inherit = "inherit",
    }
}

string_enum! {
    /// [`SharingMode`] without `disable`, for `host` and `vnet`; closed, so
    /// `"vnet": "disable"` is rejected when parsing.
    pub enum SharingModeNoDisable (closed, "FreeBSD sharing mode (new or inherit)") {
        /// The container gets its own.
        New = "new",
        /// The container shares the parent's (or host's).
        Inherit = "inherit",
    }
}

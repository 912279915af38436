//! IPC commands, one module per domain.

pub(crate) mod drafts;
pub(crate) mod system;
pub(crate) mod vault;

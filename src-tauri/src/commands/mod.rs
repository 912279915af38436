//! IPC commands, one module per domain.

pub(crate) mod backup;
pub(crate) mod cases;
pub(crate) mod courts;
pub(crate) mod drafts;
pub(crate) mod evidence;
pub(crate) mod hearings;
pub(crate) mod system;
pub(crate) mod vault;

//! Answers to an asynchronous hearing's questions and mediation messages: written offline,
//! queued in the vault with their UUID, sent by the sync engine, shown with the court's word.

use courtside_sync::account;
use courtside_sync::actions::{self, Action, ActionKind, ActionState};

use courtside_court_api::hearing::Stance;

use crate::ipc::{ActionStatus, ActionView, ExchangedView, MediationMessageView, MediationView, OpinionView};
use crate::{App, AppError};

pub(crate) fn view(a: &Action) -> ActionView {
    let text = match &a.kind {
        ActionKind::Statement { text, .. }
        | ActionKind::MediationMessage { text, .. }
        | ActionKind::ExhibitSubmission { title: text, .. } => text.clone(),
        ActionKind::OfflineStep { reason, .. } | ActionKind::CrossExamination { remarks: reason, .. } => reason.clone(),
    };
    let (state, sent_at, reason) = match &a.state {
        ActionState::Queued => (ActionStatus::Queued, None, None),
        ActionState::Sent { at, .. } => (ActionStatus::Sent, Some(at.clone()), None),
        ActionState::Refused { reason } => (ActionStatus::Refused, None, Some(reason.clone())),
    };
    ActionView { id: a.id.clone(), text, state, sent_at, reason }
}

/// The answers given to a question, oldest first.
pub(crate) fn answers(all: &[Action], hearing: &str, question: &str) -> Vec<ActionView> {
    all.iter()
        .filter(|a| {
            matches!(&a.kind, ActionKind::Statement { hearing_id, question_id, .. }
                if hearing_id == hearing && question_id == question)
        })
        .map(view)
        .collect()
}

impl App {
    /// Queues a written answer to a question of an asynchronous hearing; it is sent as soon
    /// as the court can be reached (the court refuses it outside the question's window).
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for an unknown hearing or question or an empty answer;
    /// [`AppError::Sync`] when not signed in.
    pub fn answer_question(&self, hearing: &str, question: &str, text: &str) -> Result<ActionView, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let known = courtside_sync::feed::hearings(&vault)?
            .iter()
            .any(|h| h.id == hearing && h.questions.iter().any(|q| q.id == question));
        if !known {
            return Err(AppError::InvalidInput("the court has asked no such question".into()));
        }
        let account = account::account_for(&vault, &self.court_url(), None)?;
        let kind =
            ActionKind::Statement { hearing_id: hearing.into(), question_id: question.into(), text: text.into() };
        let action = actions::enqueue(&vault, &account, kind).map_err(bad_input)?;
        self.sync_now()?;
        Ok(view(&action))
    }

    /// Queues a message to the mediator of a court case.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for an empty message or a bad case id; [`AppError::Sync`]
    /// when not signed in.
    pub fn send_mediation_message(&self, court_case: &str, text: &str) -> Result<ActionView, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let account = account::account_for(&vault, &self.court_url(), None)?;
        let kind = ActionKind::MediationMessage { case_id: court_case.into(), text: text.into() };
        let action = actions::enqueue(&vault, &account, kind).map_err(bad_input)?;
        self.sync_now()?;
        Ok(view(&action))
    }

    /// The mediation thread of a court case: what the court has, and what is still on its
    /// way from here.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub fn mediation(&self, court_case: &str) -> Result<MediationView, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let Ok(account) = account::account_for(&vault, &self.court_url(), None) else {
            return Ok(MediationView { messages: Vec::new(), outgoing: Vec::new() });
        };
        let thread = actions::mediation_thread(&vault, &account, court_case)?;
        let all = actions::actions(&vault)?;
        let sent_ids: Vec<String> = all
            .iter()
            .filter_map(|a| match (&a.kind, &a.state) {
                (ActionKind::MediationMessage { case_id, .. }, ActionState::Sent { court_id, .. })
                    if case_id == court_case =>
                {
                    Some(court_id.clone())
                }
                _ => None,
            })
            .collect();
        let outgoing = all
            .iter()
            .filter(|a| {
                matches!(&a.kind, ActionKind::MediationMessage { case_id, .. } if case_id == court_case)
                    && !matches!(a.state, ActionState::Sent { .. })
            })
            .map(view)
            .collect();
        let messages = thread
            .into_iter()
            .map(|m| MediationMessageView {
                mine: sent_ids.contains(&m.id),
                id: m.id,
                from: m.from,
                text: m.text,
                sent_at: m.sent_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            })
            .collect();
        Ok(MediationView { messages, outgoing })
    }
}

impl App {
    /// Records that a step of a case continues offline (Online Operation Rules Art. 33) and
    /// tells the court (queued until it can be reached).
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for a case the court does not know yet, an unknown step or
    /// no reason; [`AppError::Sync`] when not signed in.
    pub fn mark_step_offline(
        &self,
        case: &str,
        step: crate::ipc::OfflineStepKind,
        reason: &str,
    ) -> Result<crate::ipc::CaseView, AppError> {
        let (vault, local) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.get(case)?)))?;
        let Some(court_case) = local.court_case.clone() else {
            return Err(AppError::InvalidInput("the court has not opened this case yet".into()));
        };
        let account = account::account_for(&vault, &self.court_url(), None)?;
        let kind = ActionKind::OfflineStep { case_id: court_case, step: step.as_str().into(), reason: reason.into() };
        actions::enqueue(&vault, &account, kind).map_err(bad_input)?;
        self.sync_now()?;
        self.case_view(&vault, local)
    }
}

fn stance(s: Stance) -> crate::ipc::Stance {
    match s {
        Stance::Admit => crate::ipc::Stance::Admit,
        Stance::Dispute => crate::ipc::Stance::Dispute,
        Stance::Partly => crate::ipc::Stance::Partly,
    }
}

fn court_stance(s: crate::ipc::Stance) -> Stance {
    match s {
        crate::ipc::Stance::Admit => Stance::Admit,
        crate::ipc::Stance::Dispute => Stance::Dispute,
        crate::ipc::Stance::Partly => Stance::Partly,
    }
}

impl App {
    /// The evidence exchange of a case the court knows: the other side's exhibits (sealed
    /// copies, checked against their SHA-256) with our opinions, and ours with theirs.
    ///
    /// # Errors
    /// [`AppError::Locked`], an unknown case, the vault's error.
    pub fn evidence_exchange(&self, case: &str) -> Result<Vec<ExchangedView>, AppError> {
        self.absorb_court_news()?;
        let (vault, local) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.get(case)?)))?;
        let (Some(court_case), Ok(account)) =
            (local.court_case.as_deref(), account::account_for(&vault, &self.court_url(), None))
        else {
            return Ok(Vec::new());
        };
        let exchange = courtside_sync::feed::exchange(&vault, &account, court_case)?.unwrap_or_default();
        let all = actions::actions(&vault)?;
        // Our exhibits offered and not yet taken (queued, or refused with the court's reason).
        let offered = all.iter().filter_map(|a| match &a.kind {
            ActionKind::ExhibitSubmission { case_id, title, proves, sha256, size, .. }
                if case_id == court_case && !matches!(a.state, ActionState::Sent { .. }) =>
            {
                Some(ExchangedView {
                    id: a.id.clone(),
                    submitted_by: account.username.clone(),
                    mine: true,
                    title: title.clone(),
                    proves: proves.clone(),
                    sha256: sha256.clone(),
                    bytes: *size,
                    sealed: false,
                    opinions: Vec::new(),
                    outgoing: vec![view(a)],
                })
            }
            _ => None,
        });
        let listed: Vec<ExchangedView> = exchange
            .exhibits
            .iter()
            .map(|e| ExchangedView {
                id: e.id.clone(),
                submitted_by: e.submitted_by.clone(),
                mine: e.submitted_by == account.username,
                title: e.title.clone(),
                proves: e.proves.clone(),
                sha256: e.sha256.clone(),
                bytes: e.bytes,
                sealed: exchange.sealed.contains_key(&e.id),
                opinions: e
                    .opinions
                    .iter()
                    .map(|o| OpinionView {
                        by: o.by.clone(),
                        authenticity: stance(o.authenticity),
                        legality: stance(o.legality),
                        relevance: stance(o.relevance),
                        remarks: o.remarks.clone(),
                    })
                    .collect(),
                outgoing: all
                    .iter()
                    .filter(|a| {
                        matches!(&a.kind, ActionKind::CrossExamination { exhibit_id, .. } if *exhibit_id == e.id)
                            && !matches!(a.state, ActionState::Sent { .. })
                    })
                    .map(view)
                    .collect(),
            })
            .collect();
        Ok(listed.into_iter().chain(offered).collect())
    }

    /// Queues a cross-examination opinion on an exhibit of the other side (sent when the
    /// court can be reached; a later opinion replaces an earlier one at the court).
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for an exhibit not of the other side in this case, a bad
    /// stance or no remarks; [`AppError::Sync`] when not signed in.
    pub fn cross_examine(
        &self,
        case: &str,
        exhibit: &str,
        opinion: &crate::ipc::OpinionInput,
    ) -> Result<ActionView, AppError> {
        let (vault, local) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.get(case)?)))?;
        let account = account::account_for(&vault, &self.court_url(), None)?;
        let court_case = local.court_case.unwrap_or_default();
        // The exhibit must be the other side's, in this case's exchange (looked up directly).
        let theirs = courtside_sync::feed::exchange(&vault, &account, &court_case)?
            .is_some_and(|x| x.exhibits.iter().any(|e| e.id == exhibit && e.submitted_by != account.username));
        if !theirs {
            return Err(AppError::InvalidInput("opinions are given on the other side's exhibits in this case".into()));
        }
        let kind = ActionKind::CrossExamination {
            case_id: court_case,
            exhibit_id: exhibit.into(),
            authenticity: court_stance(opinion.authenticity),
            legality: court_stance(opinion.legality),
            relevance: court_stance(opinion.relevance),
            remarks: opinion.remarks.clone(),
        };
        let action = actions::enqueue(&vault, &account, kind).map_err(bad_input)?;
        self.sync_now()?;
        Ok(view(&action))
    }
}

/// The steps of a court case marked as continuing offline, oldest first.
pub(crate) fn offline_steps(all: &[Action], court_case: &str) -> Vec<crate::ipc::OfflineStepView> {
    all.iter()
        .filter_map(|a| match &a.kind {
            ActionKind::OfflineStep { case_id, step, .. } if case_id == court_case => {
                Some(crate::ipc::OfflineStepView {
                    step: crate::ipc::OfflineStepKind::from_court(step),
                    action: view(a),
                })
            }
            _ => None,
        })
        .collect()
}

fn bad_input(e: courtside_sync::SyncError) -> AppError {
    match e {
        courtside_sync::SyncError::File(why) => AppError::InvalidInput(why),
        other => other.into(),
    }
}

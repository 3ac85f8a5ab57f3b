//! The calls waiting for one worker: a queue per key, served in turn.
//!
//! A worker runs one job at a time. With a single first-in-first-out queue,
//! a script whose calls each run to the CPU limit would hold every other
//! script on its worker for its whole backlog (three looping calls: 9 s).
//! Here each key has its own queue (a lane), and lanes take turns, one job
//! per turn: a lane goes to the back of the turns when its job is done, so
//! a call that arrives while a runaway runs waits for that one call only.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::Job;

/// How many jobs may wait.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caps {
    /// In one lane (besides the one running).
    pub lane: usize,
    /// In all lanes of every worker (the counter the queues share).
    pub total: usize,
}

/// Why a job was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The lane is full.
    Lane,
    /// The engine is full.
    Total,
    /// The engine is stopping.
    Closed,
}

#[derive(Default)]
struct Lane {
    jobs: VecDeque<Job>,
    /// Its job is running now (then it is not among the turns).
    running: bool,
}

#[derive(Default)]
struct State {
    lanes: HashMap<String, Lane>,
    /// Lanes with jobs waiting and none running, in the order they are served.
    turns: VecDeque<String>,
    closed: bool,
    /// Tests hold the worker while they queue calls, so that what it serves
    /// does not depend on how fast the test's thread runs.
    #[cfg(test)]
    held: bool,
    /// The lanes in the order their jobs were taken.
    #[cfg(test)]
    served: Vec<String>,
}

pub(crate) struct Queue {
    state: Mutex<State>,
    wake: Condvar,
    /// Jobs waiting in every worker's queue.
    waiting: Arc<AtomicUsize>,
}

impl Queue {
    pub(crate) fn new(waiting: Arc<AtomicUsize>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            waiting,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A worker never panics while holding the lock (scripts run outside it).
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queue `job` in `lane`, within `caps` if any; the job is dropped when
    /// refused (its caller is answered by the refusal).
    pub(crate) fn push(&self, lane: &str, job: Job, caps: Option<Caps>) -> Result<(), Refusal> {
        let mut state = self.state();
        if state.closed {
            return Err(Refusal::Closed);
        }
        if let Some(caps) = caps {
            if state.lanes.get(lane).is_some_and(|l| l.jobs.len() >= caps.lane) {
                return Err(Refusal::Lane);
            }
            let before = self.waiting.fetch_add(1, Ordering::SeqCst);
            if before >= caps.total {
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                return Err(Refusal::Total);
            }
        } else {
            self.waiting.fetch_add(1, Ordering::SeqCst);
        }
        let entry = state.lanes.entry(lane.to_owned()).or_default();
        entry.jobs.push_back(job);
        if !entry.running && entry.jobs.len() == 1 {
            state.turns.push_back(lane.to_owned());
        }
        drop(state);
        self.wake.notify_one();
        Ok(())
    }

    /// The next job and its lane, waiting for one; `None` once the queue is
    /// closed and empty. Call [`Queue::done`] with the lane when it is done.
    pub(crate) fn next(&self) -> Option<(String, Job)> {
        let mut state = self.state();
        loop {
            #[cfg(test)]
            if state.held && !state.closed {
                state = self.wake.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
                continue;
            }
            if let Some(lane) = state.turns.pop_front() {
                #[cfg(test)]
                state.served.push(lane.clone());
                let entry = state.lanes.get_mut(&lane).expect("a lane in turn exists");
                let job = entry.jobs.pop_front().expect("a lane in turn has a job");
                entry.running = true;
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                return Some((lane, job));
            }
            if state.closed {
                return None;
            }
            state = self.wake.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// The job taken from `lane` is done: the lane's next job, if any, waits
    /// for its turn behind the lanes already waiting.
    pub(crate) fn done(&self, lane: &str) {
        let mut state = self.state();
        let Some(entry) = state.lanes.get_mut(lane) else {
            return;
        };
        entry.running = false;
        if entry.jobs.is_empty() {
            state.lanes.remove(lane);
        } else {
            state.turns.push_back(lane.to_owned());
        }
    }

    /// Hold the worker (it takes no job) until released.
    #[cfg(test)]
    pub(crate) fn hold(&self, held: bool) {
        self.state().held = held;
        self.wake.notify_all();
    }

    /// The lanes served so far, in order.
    #[cfg(test)]
    pub(crate) fn served(&self) -> Vec<String> {
        self.state().served.clone()
    }

    /// Take no more jobs; the worker stops once the queued ones are done.
    pub(crate) fn close(&self) {
        self.state().closed = true;
        self.wake.notify_all();
    }
}

//! Worker threads that classify photos and draw previews, in queue order.

use std::collections::VecDeque;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::work;
use super::{Event, PhotoId, PhotoInput, Wake};
use crate::model::Classifier;

/// Work for the pool.
#[derive(Debug, Clone)]
pub enum Task {
    /// Classify a photo, optionally also making its thumbnail.
    Classify {
        id: PhotoId,
        generation: u64,
        input: PhotoInput,
        classifier: Arc<Classifier>,
        thumbnail: bool,
    },
    /// Decode a photo for the large view; served before queued photos.
    Preview { id: PhotoId, input: PhotoInput },
}

struct Queue {
    tasks: VecDeque<Task>,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // No code panics while holding this lock; if that changes, the queue stays usable.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A fixed set of worker threads fed from one queue.
pub struct Pool {
    shared: Arc<Shared>,
}

impl Pool {
    pub fn new(workers: usize, events: Sender<Event>, wake: Wake) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                tasks: VecDeque::new(),
                closed: false,
            }),
            ready: Condvar::new(),
        });
        for index in 0..workers.max(1) {
            let shared = shared.clone();
            let events = events.clone();
            let wake = wake.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("petal-worker-{index}"))
                .spawn(move || run_worker(&shared, &events, &wake));
            if let Err(error) = spawned {
                tracing::error!(%error, index, "cannot start a worker thread");
            }
        }
        Self { shared }
    }

    /// Adds a task; previews go to the front so a click shows at once.
    pub fn push(&self, task: Task) {
        let mut queue = self.shared.lock();
        match task {
            Task::Preview { .. } => queue.tasks.push_front(task),
            Task::Classify { .. } => queue.tasks.push_back(task),
        }
        drop(queue);
        self.shared.ready.notify_one();
    }

    /// Removes the queued photos and returns their ids.
    pub fn cancel(&self) -> Vec<PhotoId> {
        let mut queue = self.shared.lock();
        let mut cancelled = Vec::new();
        queue.tasks.retain(|task| match task {
            Task::Classify { id, .. } => {
                cancelled.push(*id);
                false
            }
            Task::Preview { .. } => true,
        });
        cancelled
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let mut queue = self.shared.lock();
        queue.closed = true;
        queue.tasks.clear();
        drop(queue);
        self.shared.ready.notify_all();
    }
}

fn run_worker(shared: &Shared, events: &Sender<Event>, wake: &Wake) {
    while let Some(task) = next_task(shared) {
        if events.send(work::run(task)).is_err() {
            return;
        }
        wake();
    }
}

/// Blocks until a task is queued; `None` once the pool is closed.
fn next_task(shared: &Shared) -> Option<Task> {
    let mut queue = shared.lock();
    loop {
        if queue.closed {
            return None;
        }
        if let Some(task) = queue.tasks.pop_front() {
            return Some(task);
        }
        queue = shared
            .ready
            .wait(queue)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
    }
}

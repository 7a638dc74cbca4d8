//! A finding's place in a saved review: its status (open, accepted, dismissed, fixed) and the
//! team's comments. Changes go to the server and reach everyone on the review's link live.

use leptos::prelude::*;

use crate::review::{ReviewSession, STATUSES};
use crate::state::Session;

#[component]
pub fn StatusSelect(key: String) -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let review = use_context::<ReviewSession>().expect("review");
    let current = {
        let key = key.clone();
        move || review.states.with(|s| s.get(&key).map(|f| f.status.clone())).unwrap_or_else(|| "open".into())
    };
    let current2 = current.clone();
    view! {
        <select
            class=move || format!("status-select status-{}", current2())
            data-testid="finding-status"
            aria-label="Review status"
            title="Where the team stands on this finding; everyone on the review's link sees changes at once"
            on:change=move |ev| review.set_status(session, key.clone(), event_target_value(&ev))
        >
            {STATUSES.into_iter().map(|st| {
                let current = current.clone();
                view! { <option value=st selected=move || current() == st>{st}</option> }
            }).collect_view()}
        </select>
    }
}

#[component]
pub fn CommentCount(key: String) -> impl IntoView {
    let review = use_context::<ReviewSession>().expect("review");
    let count = move || review.states.with(|s| s.get(&key).map_or(0, |f| f.comments.len()));
    move || {
        let n = count();
        (n > 0).then(|| view! {
            <span class="comment-count" data-testid="comment-count" title=format!("{n} comment(s)")>
                <svg viewBox="0 0 16 16" aria-hidden="true"><path d="M2 3h12v8H6l-3 3v-3H2z" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"></path></svg>
                {n}
            </span>
        })
    }
}

#[component]
pub fn Comments(key: String) -> impl IntoView {
    let session = use_context::<Session>().expect("session");
    let review = use_context::<ReviewSession>().expect("review");
    let draft = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let comments = {
        let key = key.clone();
        move || review.states.with(|s| s.get(&key).map(|f| f.comments.clone()).unwrap_or_default())
    };
    let send = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() || sending.get_untracked() {
            return;
        }
        sending.set(true);
        review.comment(session, key.clone(), text, move |saved| {
            sending.set(false);
            if saved {
                draft.set(String::new());
            }
        });
    };
    let send2 = send.clone();
    view! {
        <div class="comments" data-testid="comments">
            <h4>"Discussion"</h4>
            <ul class="comment-list">
                {move || comments().into_iter().map(|c| view! {
                    <li class="comment" data-testid="comment">
                        <span class="author">{c.author.clone()}</span>
                        <span class="muted small">{c.time.get(..16).map(|t| t.replace('T', " ")).unwrap_or_default()}</span>
                        <p>{c.text.clone()}</p>
                    </li>
                }).collect_view()}
            </ul>
            <div class="comment-form">
                <textarea
                    rows="2"
                    aria-label="Add a comment"
                    placeholder="Add a comment for the team (Ctrl+Enter to send)"
                    data-testid="comment-input"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                            ev.prevent_default();
                            send2();
                        }
                    }
                ></textarea>
                <button class="button small primary" data-testid="comment-button" prop:disabled=move || sending.get() on:click=move |_| send()>
                    "Comment"
                </button>
            </div>
        </div>
    }
}

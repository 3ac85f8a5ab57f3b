//! The end-to-end suite: the real server on loopback ports, driven by the
//! generated clients and by third-party clients, as one test binary made of
//! modules (one link of the server instead of one per file). Run a part with
//! `cargo test -p chathooks-tests --test e2e <module>::`.

mod backend;
mod browser_boundary;
mod connections;
mod dependency_rules;
mod mattermost_actions;
mod mattermost_admin;
mod mattermost_basics;
mod mattermost_bot_accounts;
mod mattermost_bots;
mod mattermost_client4;
mod mattermost_commands;
mod mattermost_dialogs;
mod mattermost_execute;
mod mattermost_hooks;
mod mattermost_outgoing;
mod mattermost_teams;
mod mattermost_websocket;
mod rocketchat_admin;
mod rocketchat_basics;
mod rocketchat_defaults;
mod rocketchat_erase;
mod rocketchat_events;
mod rocketchat_form_hooks;
mod rocketchat_forms;
mod rocketchat_hooks;
mod rocketchat_integrations;
mod rocketchat_names;
mod rocketchat_outgoing;
mod rocketchat_realtime;
mod rocketchat_replay;
mod rocketchat_room_deleted;
mod rocketchat_room_lists;
mod rocketchat_rooms_and_messages;
mod rocketchat_scripts;
mod rocketchat_team_access;
mod rocketchat_teams;
mod rocketchat_users_delete;
mod seeding;
mod test_api;
mod test_api_act;
mod third_party;
mod ui_browser;
mod ui_browser_acts;
mod ui_http;

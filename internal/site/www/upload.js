// The upload page: sends the chosen files with XMLHttpRequest (whose upload
// progress events drive the progress bar), lists the uploads directory by
// reading its autoindex page, and deletes files with fetch(DELETE).
'use strict';

const form = document.getElementById('upload-form');
const input = document.getElementById('files');
const button = document.getElementById('upload');
const bar = document.getElementById('progress');
const statusLine = document.getElementById('status');
const list = document.getElementById('upload-list');

function say(text, isError) {
	statusLine.textContent = text;
	statusLine.className = isError ? 'error' : '';
}

function cell(row, text, cls) {
	const td = row.insertCell();
	td.textContent = text;
	if (cls) td.className = cls;
	return td;
}

// refresh rebuilds the table from the autoindex HTML of /uploads/: one row
// per link, skipping the parent directory.
async function refresh() {
	let doc;
	try {
		const resp = await fetch('/uploads/', { cache: 'no-store' });
		if (!resp.ok) throw new Error(resp.status + ' ' + resp.statusText);
		doc = new DOMParser().parseFromString(await resp.text(), 'text/html');
	} catch (err) {
		say('Could not read /uploads/: ' + err.message, true);
		return;
	}
	list.replaceChildren();
	for (const tr of doc.querySelectorAll('tr')) {
		const a = tr.querySelector('a');
		const tds = tr.querySelectorAll('td');
		const href = a && a.getAttribute('href');
		if (!href || href === '../' || href.endsWith('/')) continue;
		const url = '/uploads/' + href;
		const row = list.insertRow();
		row.dataset.name = a.textContent;
		const link = document.createElement('a');
		link.href = url;
		link.textContent = a.textContent;
		link.className = 'file';
		row.insertCell().append(link);
		cell(row, tds[1] ? tds[1].textContent : '', 'num');
		cell(row, tds[2] ? tds[2].textContent : '');
		const del = document.createElement('button');
		del.type = 'button';
		del.className = 'danger delete';
		del.textContent = 'Delete';
		del.addEventListener('click', () => remove(url, a.textContent, del));
		row.insertCell().append(del);
	}
	if (list.rows.length === 0) {
		cell(list.insertRow(), 'Nothing uploaded yet.', 'empty').colSpan = 4;
	}
}

async function remove(url, name, del) {
	del.disabled = true;
	try {
		const resp = await fetch(url, { method: 'DELETE' });
		if (resp.status !== 204 && resp.status !== 404) throw new Error(resp.status + ' ' + resp.statusText);
		say('Deleted ' + name + '.');
	} catch (err) {
		say('Could not delete ' + name + ': ' + err.message, true);
		del.disabled = false;
	}
	await refresh();
}

form.addEventListener('submit', (ev) => {
	ev.preventDefault();
	if (input.files.length === 0) return;
	const data = new FormData();
	for (const f of input.files) data.append('file', f, f.name);
	const xhr = new XMLHttpRequest();
	xhr.open('POST', '/uploads/');
	xhr.setRequestHeader('Accept', 'application/json');
	xhr.upload.addEventListener('progress', (e) => {
		if (e.lengthComputable) {
			bar.value = Math.round(100 * e.loaded / e.total);
			say('Uploading… ' + bar.value + '%');
		}
	});
	xhr.addEventListener('load', () => {
		button.disabled = false;
		if (xhr.status === 201) {
			bar.value = 100;
			const names = JSON.parse(xhr.responseText).files.map((f) => f.name);
			say('Uploaded ' + names.length + (names.length === 1 ? ' file: ' : ' files: ') + names.join(', '));
			form.reset();
		} else {
			say('Upload failed: ' + xhr.status + ' ' + xhr.statusText, true);
		}
		refresh();
	});
	xhr.addEventListener('error', () => {
		button.disabled = false;
		say('Upload failed: the connection was lost.', true);
	});
	button.disabled = true;
	bar.hidden = false;
	bar.value = 0;
	say('Uploading…');
	xhr.send(data);
});

refresh();

'use strict';
// Names for the admin's controls that Django and its libraries render without one, so a screen reader can say what
// each is:
// - a search box (select2) shows the chosen value, or a placeholder, in a span with the role "textbox" that takes no
//   name from what it shows; it is named after its field and what it shows, again whenever the choice changes;
// - a search box for several choices types into a field without a label;
// - the filter icons of the groups and permissions pickers carry a label on an element without a role;
// - the export page's "Select all" label points at an id its checkbox lacks.
{
    const fieldName = (select) => {
        if (!select || select.tagName !== 'SELECT') {
            return '';
        }
        const label = select.getAttribute('aria-label') || (select.labels.length ? select.labels[0].textContent : '');
        return label.replace(/[:：]\s*$/, '').trim();
    };
    const nameSearchBoxes = () => {
        for (const container of document.querySelectorAll('.select2-container')) {
            const field = fieldName(container.previousElementSibling);
            const box = container.querySelector('.select2-selection__rendered[role="textbox"]');
            if (box) {
                const shown = box.textContent.replace(/^×/, '').trim();
                const name = field ? `${field}: ${shown}` : shown;
                if (name && box.getAttribute('aria-label') !== name) {
                    box.setAttribute('aria-label', name);
                }
            }
            const typed = container.querySelector('.select2-search__field');
            if (typed && field && !typed.hasAttribute('aria-label')) {
                typed.setAttribute('aria-label', field);
            }
        }
    };
    const nameOthers = () => {
        for (const icon of document.querySelectorAll('.help-tooltip[aria-label]:not([role])')) {
            icon.setAttribute('role', 'img');
        }
        const toggle = document.querySelector('input.select-toggle:not([id])');
        if (toggle && !document.getElementById('select-all-toggle')) {
            toggle.id = 'select-all-toggle';
        }
    };
    document.addEventListener('DOMContentLoaded', () => {
        nameSearchBoxes();
        nameOthers();
        new MutationObserver(() => {
            nameSearchBoxes();
            nameOthers();
        }).observe(document.body, {childList: true, subtree: true});
    });
}
